// What, besides its input files and entry source, decides the text of a guest bundle: esbuild's
// version, the shared options, the prelude, and the code of the plugins and of the source table.
// A build that reuses a bundle written earlier (framework: build-cache.ts) checks this too, so a
// changed bundler never ships a bundle it would no longer produce.
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { version as esbuildVersion } from 'esbuild'
import { guestBundleOptions } from './bundle.ts'
import { guestPrelude } from './guest-prelude.ts'

/** This folder's modules whose code shapes a guest bundle (plugins, prelude, source table). */
const BUNDLER_MODULES = ['bundle', 'guest-keccak', 'guest-prelude', 'guest-promise', 'source-table', 'bundler-fingerprint']

/**
 * sha256 (hex) of the source of `modules` beside the file at `url` (TypeScript in the repository,
 * JavaScript when installed), or, when they are not there (this code bundled, as `nexus dev` runs
 * it: the modules are spread over the chunks of one output folder), of every file of that folder
 * with the same extension: more than needed, never less. `prefix` is hashed first.
 */
export async function sourcesFingerprint(url: string, modules: string[], prefix = ''): Promise<string> {
  const own = fileURLToPath(url)
  const ext = extname(own)
  let texts = await Promise.all(modules.map((m) => readFile(join(dirname(own), `${m}${ext}`)).catch(() => undefined)))
  if (!texts.every((t) => t !== undefined)) {
    const chunks = (await readdir(dirname(own))).filter((f) => f.endsWith(ext)).sort()
    texts = await Promise.all(chunks.map((f) => readFile(join(dirname(own), f))))
  }
  const hash = createHash('sha256').update(`${prefix}\0`)
  for (const text of texts) hash.update(text!).update('\0')
  return hash.digest('hex')
}

let fingerprint: Promise<string> | undefined

/** sha256 (hex) of everything in this runtime that decides a guest bundle's text besides its inputs. */
export function guestBundlerFingerprint(): Promise<string> {
  fingerprint ??= sourcesFingerprint(import.meta.url, BUNDLER_MODULES, `esbuild ${esbuildVersion}\0${JSON.stringify(guestBundleOptions)}\0${guestPrelude}`)
  return fingerprint
}
