import { build } from 'esbuild'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const bundled = new Map<string, Promise<string>>()

// Packages inlined into a worker bundle, which lives in a temp folder where nothing resolves:
// Nexus's own packages, and noble's hashes (pure JS, no dependencies) for the `crypto` import.
const inlined = /^(@nexus\/|@noble\/hashes\/)/
// Other npm packages (the compile worker's jco and binaryen) are imported by absolute path,
// resolved from this package as it would resolve them itself.
const resolveFromHere = createRequire(import.meta.url).resolve
/** A package this one cannot `require.resolve` (an import-only export map) stays a bare import. */
const resolvedOrBare = (specifier: string) => {
  try {
    return resolveFromHere(specifier)
  } catch {
    return specifier
  }
}

/** The sandbox worker's bundle (worker.ts). */
export const workerBundlePath = () => bundleWorker(new URL('./worker', import.meta.url))

/**
 * A worker runs as one plain ES module bundled from its entry (`entry` without extension: the .ts
 * in the repo, the .js in the published dist/). Loading TypeScript through a loader inside the
 * worker made the first QuickJS call take ~10 s; a bundle loads in ~50 ms.
 */
export function bundleWorker(entry: URL): Promise<string> {
  const entryPoint = fileURLToPath(entry) + (import.meta.url.endsWith('.ts') ? '.ts' : '.js')
  let path = bundled.get(entryPoint)
  if (path) return path
  path = (async () => {
    const result = await build({
      entryPoints: [entryPoint],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // Nexus's own packages resolve to their source (dependency-free subpaths such as
      // @nexus/protocol/status) and are inlined, as is @noble/hashes (see `inlined`).
      conditions: ['nexus-source'],
      plugins: [
        {
          name: 'external-but-nexus',
          setup(b) {
            b.onResolve({ filter: /^[^./]/ }, (args) => {
              if (inlined.test(args.path)) return undefined
              if (args.path.startsWith('node:')) return { path: args.path, external: true }
              return { path: resolvedOrBare(args.path), external: true }
            })
          },
        },
      ],
      logLevel: 'silent',
    })
    const code = result.outputFiles[0]!.contents
    const hash = createHash('sha256').update(code).digest('hex').slice(0, 16)
    const dir = join(tmpdir(), 'nexus-sandbox')
    const file = join(dir, `worker-${hash}.mjs`)
    if (!existsSync(file)) {
      await mkdir(dir, { recursive: true })
      const tmp = `${file}.${process.pid}.tmp`
      await writeFile(tmp, code)
      await rename(tmp, file)
    }
    return file
  })()
  bundled.set(entryPoint, path)
  return path
}
