// A reused build (build-cache.ts: no file it read has changed) need not run esbuild again: each
// function's bundle is the one written beside its component last time (component-cache.ts keeps
// `bundle.js`), provided the build record holds its hash for the same request: the same entry
// source, function id and project folder, the same framework bundling code, the same runtime bundler
// (guestBundlerFingerprint), and the same lockfile (a dependency upgrade can change how a package
// resolves while every file the last bundle read stays as it was).
// Anything else, a missing or edited file included, is bundled again. On a second `nexus dev`
// start this was ≈ 0.25 s of esbuild per function, beside four replicas starting on two cores.
import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { guestBundlerFingerprint, sourcesFingerprint } from '@nexus/runtime/build'

let frameworkBundling: Promise<string> | undefined

/** sha256 of this package's code that shapes a bundle (the entry's bundling options, this file). */
function frameworkFingerprint(): Promise<string> {
  frameworkBundling ??= sourcesFingerprint(import.meta.url, ['bundle-entry', 'bundle-reuse'])
  return frameworkBundling
}

const LOCKFILES = ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb']

const lockfiles = new Map<string, { mtimeMs: number; size: number; hash: string }>()

/** sha256 of the nearest lockfile at or above `root` ('none' without one); re-read only when its stat changed. */
async function lockfileHash(root: string): Promise<string> {
  for (let dir = root; ; dir = dirname(dir)) {
    for (const name of LOCKFILES) {
      const file = join(dir, name)
      const info = await stat(file).catch(() => undefined)
      if (!info?.isFile()) continue
      const known = lockfiles.get(file)
      if (known && known.mtimeMs === info.mtimeMs && known.size === info.size) return known.hash
      const hash = createHash('sha256')
        .update(await readFile(file))
        .digest('hex')
      lockfiles.set(file, { mtimeMs: info.mtimeMs, size: info.size, hash })
      return hash
    }
    if (dirname(dir) === dir) return 'none'
  }
}

/** What bundling a function was asked to do: everything besides the files its bundle read. */
export type BundleRequest = { id: string; root: string; entry: string }

/** What the build record keeps for a function's bundle: the request that produced it, bound to its text. */
export async function bundleRecord(request: BundleRequest, bundle: string): Promise<string> {
  const [runtime, framework, lockfile] = await Promise.all([guestBundlerFingerprint(), frameworkFingerprint(), lockfileHash(request.root)])
  return createHash('sha256')
    .update(`${runtime}\0${framework}\0${lockfile}\0${request.id}\0${request.root}\0`)
    .update(request.entry)
    .update('\0')
    .update(bundle)
    .digest('hex')
}

/** The bundle the last build wrote in `dir`, when `recorded` says it is what bundling `request` gives now. */
export async function reusableBundle(dir: string, request: BundleRequest, recorded: string | undefined): Promise<string | undefined> {
  if (!recorded) return undefined
  const text = await readFile(join(dir, 'bundle.js'), 'utf8').catch(() => undefined)
  return text !== undefined && (await bundleRecord(request, text)) === recorded ? text : undefined
}
