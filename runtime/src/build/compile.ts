import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { METER_BUILD, METER_VERSION } from './meter-version.ts'
import { compileFiles } from './compile-in-worker.ts'
import { codeHashOf } from './artifact.ts'

export { compileFiles }

export type CompileOptions = {
  cacheDir: string
  memoryPages: number
  /** This component's compile, already done (the gateway's deploy check): stored, not redone. */
  compiled?: Record<string, Uint8Array>
}

/**
 * Transpiles a component into JS glue + core modules, meters every core module, and caches the
 * result under `<cacheDir>/<codeHash>-<memoryPages>/`. Done once per code hash: every
 * replica derives the same metered modules from the same component bytes, because jco and
 * binaryen are pinned by the lockfile and the metering scheme is versioned (METER_VERSION).
 */
export async function compileComponent(component: Uint8Array, options: CompileOptions): Promise<{ dir: string; codeHash: string }> {
  const codeHash = codeHashOf(component)
  const dir = join(options.cacheDir, `${codeHash.slice(2)}-${METER_VERSION}-${METER_BUILD}-${options.memoryPages}`)
  if (isReady(dir)) return { dir, codeHash }
  // Callers in one process (replicas sharing a cache folder in a test or a bench) share one compile.
  let pending = inFlight.get(dir)
  if (!pending) {
    pending = withCompileLock(dir, () => compileInto(dir, component, options.memoryPages, options.compiled)).finally(() => inFlight.delete(dir))
    inFlight.set(dir, pending)
  }
  await pending
  return { dir, codeHash }
}

const inFlight = new Map<string, Promise<void>>()
const isReady = (dir: string) => existsSync(join(dir, 'READY')) && existsSync(join(dir, 'package.json'))

/** A lock older than this is a crashed compiler's: taken over. Compiles take seconds, not minutes. */
const STALE_LOCK_MS = 10 * 60_000
/** A lock without its owner file this long after it was made: its maker died between the two steps. */
const ORPHAN_LOCK_MS = 30_000

/**
 * Whether the process that took `lock` is gone: its pid (the lock's `owner` file) no longer runs on
 * this machine (a cache folder is shared only between processes of one machine and user), or the
 * lock is older than any compile. A replica SIGKILLed mid-compile left its lock behind; the
 * restarted replica waited ten minutes for it before this check.
 */
async function isStale(lock: string): Promise<boolean> {
  const age = await stat(lock).then(
    (s) => Date.now() - s.mtimeMs,
    () => 0,
  )
  if (age > STALE_LOCK_MS) return true
  const owner = Number(await readFile(join(lock, 'owner'), 'utf8').catch(() => ''))
  if (!Number.isSafeInteger(owner) || owner <= 0) return age > ORPHAN_LOCK_MS
  if (owner === process.pid) return false
  try {
    process.kill(owner, 0)
    return false
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

/**
 * Processes sharing a cache folder (the replicas of one `nexus dev`) compile each entry once: the
 * first takes `<entry>.lock` (mkdir is atomic) and writes its pid into it, the others wait for its
 * READY and reuse the entry, or take the lock over once its owner is gone.
 * Without the lock every replica did the same seconds of transpiling and metering at once, on a
 * machine whose cores they share.
 */
async function withCompileLock(dir: string, compile: () => Promise<void>): Promise<void> {
  const lock = `${dir}.lock`
  await mkdir(dirname(dir), { recursive: true })
  for (;;) {
    try {
      await mkdir(lock)
      await writeFile(join(lock, 'owner'), String(process.pid))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      if (await isStale(lock)) await rm(lock, { recursive: true, force: true })
      else await new Promise((resolve) => setTimeout(resolve, 100))
      if (isReady(dir)) return
      continue
    }
    try {
      if (!isReady(dir)) await compile()
      return
    } finally {
      await rm(lock, { recursive: true, force: true })
    }
  }
}

async function compileInto(dir: string, component: Uint8Array, memoryPages: number, compiled?: Record<string, Uint8Array>): Promise<void> {
  const files = compiled ?? (await compileFiles(component, memoryPages))
  // Write to a temporary folder and rename: a crash mid-way never leaves a half-compiled cache entry.
  const tmp = `${dir}.tmp-${process.pid}-${randomUUID()}`
  await mkdir(tmp, { recursive: true })
  try {
    for (const [name, bytes] of Object.entries(files)) await writeFile(join(tmp, name), bytes)
    // jco's glue (component.js) is an ES module: say so here, whatever package.json is above the
    // replica's data folder (a user's project may be CommonJS).
    await writeFile(join(tmp, 'package.json'), '{ "type": "module" }\n')
    await writeFile(join(tmp, 'READY'), codeHashOf(component))
    // Another process may have finished the same entry meanwhile: keep its (identical) files,
    // which a replica may already be loading, rather than replacing them under it.
    if (isReady(dir)) return
    await rm(dir, { recursive: true, force: true })
    await rename(tmp, dir).catch((err: NodeJS.ErrnoException) => {
      if ((err.code === 'ENOTEMPTY' || err.code === 'EEXIST') && isReady(dir)) return
      throw err
    })
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}
