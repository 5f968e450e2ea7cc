// One builder per entry of a cache folder that several processes of one user share: the replicas
// of a `nexus dev` compiling one code hash at once, two stacks on one machine, four replicas
// needing the same PGlite template on their first start. The first takes `<entry>.lock` (mkdir is
// atomic) and writes its pid into it; the others wait for the entry and reuse it, or take the lock
// over once its owner is gone. Without it every process did the same seconds of work at once, on a
// machine whose cores they share.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** A lock older than this is a crashed builder's: taken over. Builds take seconds, not minutes. */
const STALE_LOCK_MS = 10 * 60_000
/** A lock without its owner file this long after it was made: its maker died between the two steps. */
const ORPHAN_LOCK_MS = 30_000
/** How often a waiting process looks again. */
const POLL_MS = 100

/**
 * Whether the process that took `lock` is gone: its pid (the lock's `owner` file) no longer runs on
 * this machine (a cache folder is shared only between processes of one machine and user), or the
 * lock is older than any build. A replica SIGKILLed mid-compile left its lock behind; the
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
 * Runs `build` under `<entry>.lock` unless `isDone()` says the entry is there (checked again once
 * the lock is held, and after each wait for another holder).
 * @example await withEntryLock(dir, () => entryIsValid(dir), () => compileInto(dir))
 */
export async function withEntryLock(entry: string, isDone: () => Promise<boolean>, build: () => Promise<void>): Promise<void> {
  const lock = `${entry}.lock`
  await mkdir(dirname(entry), { recursive: true })
  for (;;) {
    try {
      await mkdir(lock)
      await writeFile(join(lock, 'owner'), String(process.pid))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      if (await isStale(lock)) await rm(lock, { recursive: true, force: true })
      else await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      if (await isDone()) return
      continue
    }
    try {
      if (!(await isDone())) await build()
      return
    } finally {
      await rm(lock, { recursive: true, force: true })
    }
  }
}
