// A process entry bundled into one plain ES module, to run the repository's TypeScript source
// without tsx (`nexus dev` does so for its replicas: cli/src/dev/index.ts). tsx resolves and
// transforms each of several hundred modules through its hooks thread: ≈ 2 s of CPU per replica
// start (4 replicas on 2 cores wait on it) and ≈ 80 MB more resident per replica
// (docs/benchmarks.md, "npm start"). The bundle inlines the
// workspace packages and the pure-JS dependencies, tree-shaken; packages that load files that sit
// next to them (WebAssembly, binaries) stay imports by absolute path. Each inlined workspace module
// keeps its own `import.meta.url`, so the paths it derives from it (its migrations, its workers'
// entries) are the same as when it runs from source.
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Plugin } from 'esbuild'
import { nexusCacheDir } from './cache-dir.ts'
import { bundleToHashedFile } from './hashed-bundle.ts'

/**
 * Packages never inlined: those that find files relative to their own module (or spawn binaries),
 * and the NATS client, whose nkeys part is CommonJS that `require`s Node built-ins (an ES module
 * bundle has no `require`); a replica loads it only in cluster mode anyway.
 */
const kept = /^(@electric-sql\/pglite|esbuild|@bytecodealliance\/|binaryen|ffjavascript|snarkjs|circom2|typescript|tsx|@foundry-rs\/|@nats-io\/)/

const ownUrls: Plugin = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined
      const source = await readFile(args.path, 'utf8')
      const own = JSON.stringify(pathToFileURL(args.path).href)
      return { contents: source.replace(/\bimport\.meta\.url\b/g, own), loader: 'ts' }
    })
  },
}

const keptExternal: Plugin = {
  name: 'kept-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true }
      if (args.pluginData === 'resolving' || !kept.test(args.path)) return undefined
      // esbuild's own resolution (import conditions, the importer's folder), then left as an import.
      const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'resolving' })
      return { path: resolved.errors.length ? args.path : resolved.path, external: true }
    })
  },
}

const bundled = new Map<string, Promise<string>>()

/**
 * The bundle of `entry` (a .ts path) in the private cache folder (build/cache-dir.ts: the
 * repository's node_modules/.cache/nexus), named by its content's hash; reused without esbuild
 * while its inputs are unchanged (build/hashed-bundle.ts), else built (≈ 0.5–1 s).
 */
export function bundleProcessEntry(entry: string): Promise<string> {
  let path = bundled.get(entry)
  if (path) return path
  path = (async () =>
    bundleToHashedFile({
      entry,
      name: basename(entry).replace(/\.ts$/, ''),
      cacheDir: await nexusCacheDir(),
      variant: 'process-v2',
      options: {
        format: 'esm',
        platform: 'node',
        target: 'node20',
        conditions: ['nexus-source'],
        // A command's dynamic import (the replica's NATS mode) stays a chunk of its own, and so do
        // the packages it imports: a replica serving HTTP never loads the NATS client.
        splitting: true,
        plugins: [keptExternal, ownUrls],
        logLevel: 'silent',
      },
    }))()
  bundled.set(entry, path)
  path.catch(() => bundled.delete(entry))
  return path
}
