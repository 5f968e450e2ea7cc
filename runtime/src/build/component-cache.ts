// QuickJS componentize is not byte-reproducible (jco writes a seed into the heap snapshot), so the
// same bundle built twice gets two code hashes. A folder keeps the last component with the key of
// what it was built from (bundle + WIT world + jco version); an unchanged bundle reuses it, and the
// function keeps its code hash across builds and `nexus dev` restarts. `nexus dev` also keeps each
// component by that key in the user's Nexus cache, so a fresh state folder does not componentize
// (3–4 s a function) nor compile again.
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { componentizeJs } from './componentize.ts'
import { nexusCacheDir } from './cache-dir.ts'
import { witDir } from '@nexus/protocol/wit'

const readIfExists = (file: string) => readFile(file).catch(() => undefined)
/** Write-then-rename: processes sharing a cache folder (parallel test files) never read a torn file. */
async function writeAtomically(file: string, data: string | Uint8Array) {
  const tmp = `${file}.tmp-${process.pid}-${randomUUID()}`
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
 * The user's Nexus cache folder (cache-dir.ts) for what builds keep across output folders, or
 * undefined when this user has no usable one (then builds keep only their own folder).
 */
export const sharedBuildCache = (): Promise<string | undefined> => nexusCacheDir().catch(() => undefined)

/** Where a shared folder keeps the component built from `key` (the bundle and toolchain's hash). */
const sharedFiles = (sharedDir: string, key: string) => ({ wasm: join(sharedDir, `${key}.wasm`), sum: join(sharedDir, `${key}.sha256`) })
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** The component a shared folder holds for `key`, if its bytes still match the sha256 written after them. */
async function readShared(sharedDir: string, key: string): Promise<Uint8Array | undefined> {
  const files = sharedFiles(sharedDir, key)
  const [wasm, sum] = await Promise.all([readIfExists(files.wasm), readIfExists(files.sum)])
  if (!wasm || !sum || sha256(wasm) !== sum.toString('utf8')) return undefined
  return new Uint8Array(wasm)
}

async function writeShared(sharedDir: string, key: string, component: Uint8Array): Promise<void> {
  const files = sharedFiles(sharedDir, key)
  await mkdir(sharedDir, { recursive: true, mode: 0o700 })
  await writeAtomically(files.wasm, component)
  // Last: a component without its sum (an interrupted write, a torn file) is never reused.
  await writeAtomically(files.sum, sha256(component))
}

export type CachedComponentOptions = {
  /**
   * A folder of components by key that outlives `dir` (the user's Nexus cache, cache-dir.ts): a
   * fresh state folder reuses the component built for the same bundle, so the function keeps its
   * code hash and its compiled entry (compile.ts) is reused too. Default: none (only `dir`).
   */
  sharedDir?: string
}

/**
 * The component of `bundle`, reused from `dir` when it was built from the same bundle and toolchain,
 * else from `sharedDir`, otherwise componentized; stored in `dir` (bundle.js, component.wasm, then
 * component.key last, so an interrupted build never pairs a new bundle with an old component) and
 * in `sharedDir`.
 */
export async function cachedComponent(dir: string, bundle: string, options: CachedComponentOptions = {}): Promise<{ component: Uint8Array; cached: boolean }> {
  const key = createHash('sha256')
    .update(await toolchainKey())
    .update(bundle)
    .digest('hex')
  const previousKey = (await readIfExists(join(dir, 'component.key')))?.toString('utf8')
  const reused = previousKey === key ? await readIfExists(join(dir, 'component.wasm')) : undefined
  if (reused) return { component: new Uint8Array(reused), cached: true }
  const shared = options.sharedDir ? await readShared(options.sharedDir, key) : undefined
  const component = shared ?? (await componentizeJs(bundle))
  await mkdir(dir, { recursive: true })
  await writeAtomically(join(dir, 'bundle.js'), bundle)
  await writeAtomically(join(dir, 'component.wasm'), component)
  await writeAtomically(join(dir, 'component.key'), key)
  if (options.sharedDir && !shared) await writeShared(options.sharedDir, key, component)
  return { component, cached: shared !== undefined }
}
