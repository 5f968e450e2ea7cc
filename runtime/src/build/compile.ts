import { createHash, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { withEntryLock } from './cache-lock.ts'
import { METER_BUILD, METER_VERSION } from './meter-version.ts'
import { GLUE_BUILD } from './lean-glue.ts'
import { compileFiles } from './compile-in-child.ts'
import { meteredModulesFor } from './metered-modules.ts'
import { codeHashOf } from './artifact.ts'

export { compileFiles }

export type CompileOptions = {
  cacheDir: string
  memoryPages: number
  /** This component's compile, already done (the gateway's deploy check): stored, not redone. */
  compiled?: Record<string, Uint8Array>
  /** The folder of metered modules to take from and add to (default: `meteredModulesFor(cacheDir)`). */
  moduleCache?: string
}

/**
 * Transpiles a component into JS glue + core modules, meters every core module, and caches the
 * result under `<cacheDir>/<codeHash>-<meter version>-<memoryPages>/`. Done once per code hash
 * for every process sharing `cacheDir` (by default the user's Nexus cache, cache-dir.ts): every
 * replica derives the same metered modules from the same component bytes, because jco and
 * binaryen are pinned by the lockfile and the metering scheme is versioned (METER_VERSION).
 */
export async function compileComponent(component: Uint8Array, options: CompileOptions): Promise<{ dir: string; codeHash: string }> {
  const codeHash = codeHashOf(component)
  const dir = compiledEntryDir(options.cacheDir, codeHash, options.memoryPages)
  if (await entryIsValid(dir, codeHash)) return { dir, codeHash }
  // Callers in one process (replicas sharing a cache folder in a test or a bench) share one compile.
  let pending = inFlight.get(dir)
  if (!pending) {
    pending = withEntryLock(
      dir,
      () => entryIsValid(dir, codeHash),
      async () => {
        const moduleCache = options.moduleCache ?? (await meteredModulesFor(options.cacheDir))
        await compileInto(dir, component, options.compiled ?? (await compileFiles(component, options.memoryPages, { moduleCache })))
      },
    ).finally(() => inFlight.delete(dir))
    inFlight.set(dir, pending)
  }
  await pending
  return { dir, codeHash }
}

/** Where `compileComponent` keeps the compile of `codeHash` (0x-prefixed) at `memoryPages`. */
export const compiledEntryDir = (cacheDir: string, codeHash: string, memoryPages: number) =>
  join(cacheDir, `${codeHash.slice(2)}-${METER_VERSION}-${METER_BUILD}${GLUE_BUILD}-${memoryPages}`)

const inFlight = new Map<string, Promise<void>>()

/** Everything in an entry but these is listed, with its sha256, in SUMS. */
const READY = 'READY'
const SUMS = 'SHA256SUMS'
/** Added to a valid entry by the gateway's deploy check (check-component.ts): not part of the compile. */
export const WORLD_CHECKED_PREFIX = 'world-checked-'

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/**
 * Whether `dir` is a complete, intact entry for `codeHash`: READY names it, and every file the
 * compile wrote still has the sha256 recorded beside it, with no module or script added. The cache
 * outlives state folders (it is shared by every stack of this user, cache-dir.ts), so a truncated
 * file (a full disk, a copy interrupted by hand) must be found here and rebuilt, not loaded by a
 * replica as a broken module. Hashing an entry (≈ 3 MB) takes milliseconds; a compile takes seconds.
 */
export async function entryIsValid(dir: string, codeHash: string): Promise<boolean> {
  if (!existsSync(join(dir, READY))) return false
  try {
    if ((await readFile(join(dir, READY), 'utf8')) !== codeHash) return false
    const sums = JSON.parse(await readFile(join(dir, SUMS), 'utf8')) as Record<string, string>
    const listed = Object.keys(sums)
    if (!listed.includes('package.json')) return false
    for (const name of await readdir(dir)) {
      if (name === READY || name === SUMS || name.startsWith(WORLD_CHECKED_PREFIX)) continue
      if (!Object.hasOwn(sums, name)) return false
    }
    for (const name of listed) if (sha256(await readFile(join(dir, name))) !== sums[name]) return false
    return true
  } catch {
    return false
  }
}

async function compileInto(dir: string, component: Uint8Array, compiled: Record<string, Uint8Array>): Promise<void> {
  const codeHash = codeHashOf(component)
  const files: Record<string, Uint8Array> = {
    ...compiled,
    // jco's glue (component.js) is an ES module: say so here, whatever package.json is above the
    // cache folder (a user's project may be CommonJS).
    'package.json': new TextEncoder().encode('{ "type": "module" }\n'),
  }
  // Write to a temporary folder and rename: a crash mid-way never leaves a half-compiled cache entry.
  const tmp = `${dir}.tmp-${process.pid}-${randomUUID()}`
  await mkdir(tmp, { recursive: true })
  try {
    const sums: Record<string, string> = {}
    for (const [name, bytes] of Object.entries(files)) {
      await writeFile(join(tmp, name), bytes)
      sums[name] = sha256(bytes)
    }
    await writeFile(join(tmp, SUMS), `${JSON.stringify(sums, null, 1)}\n`)
    await writeFile(join(tmp, READY), codeHash)
    // Another process may have finished the same entry meanwhile: keep its (identical) files,
    // which a replica may already be loading, rather than replacing them under it.
    if (await entryIsValid(dir, codeHash)) return
    // What is there is partial or damaged (entryIsValid said no, under the lock): replaced whole.
    await rm(dir, { recursive: true, force: true })
    await rename(tmp, dir).catch(async (err: NodeJS.ErrnoException) => {
      if ((err.code === 'ENOTEMPTY' || err.code === 'EEXIST') && (await entryIsValid(dir, codeHash))) return
      throw err
    })
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}
