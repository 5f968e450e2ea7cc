import { build } from 'esbuild'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

let bundled: Promise<string> | undefined

// Packages inlined into the worker bundle, which lives in a temp folder where nothing resolves:
// Nexus's own packages, and noble's hashes (pure JS, no dependencies) for the `crypto` import.
const inlined = /^(@nexus\/|@noble\/hashes\/)/

/**
 * The worker runs as one plain ES module bundled from worker.ts. Loading TypeScript through a
 * loader inside the worker made the first QuickJS call take ~10 s; a bundle loads in ~50 ms.
 */
export function workerBundlePath(): Promise<string> {
  bundled ??= (async () => {
    const result = await build({
      // worker.ts in the repo, worker.js in the published dist/.
      entryPoints: [fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url))],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // npm packages stay imports, but the bundle lives in a temp folder where Nexus's own packages
      // do not resolve: those (dependency-free subpaths such as @nexus/protocol/status) are inlined,
      // as is @noble/hashes (see `inlined`).
      conditions: ['nexus-source'],
      plugins: [
        {
          name: 'external-but-nexus',
          setup(b) {
            b.onResolve({ filter: /^[^./]/ }, (args) => (inlined.test(args.path) ? undefined : { path: args.path, external: true }))
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
  return bundled
}
