// QuickJS componentize is not byte-reproducible (jco writes a seed into the heap snapshot), so the
// same bundle built twice gets two code hashes. A folder keeps the last component with the key of
// what it was built from (bundle + WIT world + jco version); an unchanged bundle reuses it, and the
// function keeps its code hash across builds and `nexus dev` restarts.
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { componentizeJs } from './componentize.ts'
import { witDir } from '@nexus/protocol/wit'

const readIfExists = (file: string) => readFile(file).catch(() => undefined)
/** Write-then-rename: processes sharing a cache folder (parallel test files) never read a torn file. */
async function writeAtomically(file: string, data: string | Uint8Array) {
  const tmp = `${file}.tmp-${process.pid}`
  await writeFile(tmp, data)
  await rename(tmp, file)
}

let toolchain: Promise<string> | undefined
/** What else shapes a component besides the bundle (which includes the guest prelude): the WIT world and jco's version. */
function toolchainKey(): Promise<string> {
  toolchain ??= (async () => {
    const require = createRequire(import.meta.url)
    const jco = JSON.parse(await readFile(join(dirname(require.resolve('@bytecodealliance/jco')), '..', 'package.json'), 'utf8').catch(() => '{}')) as {
      version?: string
    }
    const wit = await readFile(join(witDir, 'nexus.wit'), 'utf8')
    return `${wit}\0${jco.version ?? 'unknown'}`
  })()
  return toolchain
}

/**
 * The component of `bundle`, reused from `dir` when it was built from the same bundle and toolchain,
 * otherwise componentized and stored there (bundle.js, component.wasm, then component.key last, so an
 * interrupted build never pairs a new bundle with an old component).
 */
export async function cachedComponent(dir: string, bundle: string): Promise<{ component: Uint8Array; cached: boolean }> {
  const key = createHash('sha256')
    .update(await toolchainKey())
    .update(bundle)
    .digest('hex')
  const previousKey = (await readIfExists(join(dir, 'component.key')))?.toString('utf8')
  const reused = previousKey === key ? await readIfExists(join(dir, 'component.wasm')) : undefined
  if (reused) return { component: new Uint8Array(reused), cached: true }
  const component = await componentizeJs(bundle)
  await mkdir(dir, { recursive: true })
  await writeAtomically(join(dir, 'bundle.js'), bundle)
  await writeAtomically(join(dir, 'component.wasm'), component)
  await writeAtomically(join(dir, 'component.key'), key)
  return { component, cached: false }
}
