import { createRequire } from 'node:module'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Plugin } from 'esbuild'
import { nexusCacheDir } from '../build/cache-dir.ts'
import { bundleToHashedFile } from '../build/hashed-bundle.ts'

const bundled = new Map<string, Promise<string>>()

// Packages inlined into a worker bundle, which lives in a cache folder where nothing resolves:
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

const externalButNexus: Plugin = {
  name: 'external-but-nexus',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (inlined.test(args.path)) return undefined
      if (args.path.startsWith('node:')) return { path: args.path, external: true }
      return { path: resolvedOrBare(args.path), external: true }
    })
  },
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
  path = (async () =>
    bundleToHashedFile({
      entry: entryPoint,
      name: basename(fileURLToPath(entry)),
      cacheDir: await nexusCacheDir('workers'),
      variant: 'worker-v2',
      options: {
        format: 'esm',
        platform: 'node',
        target: 'node20',
        // Nexus's own packages resolve to their source (dependency-free subpaths such as
        // @nexus/protocol/status) and are inlined, as is @noble/hashes (see `inlined`).
        conditions: ['nexus-source'],
        plugins: [externalButNexus],
        logLevel: 'silent',
      },
    }))()
  bundled.set(entryPoint, path)
  path.catch(() => bundled.delete(entryPoint))
  return path
}
