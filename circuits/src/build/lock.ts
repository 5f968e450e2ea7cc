// A cross-process lock on a cache entry. Test files run in parallel processes and several of them
// build the same circuit into the same content-hashed cache; without the lock two setups would write
// the same zkey (each with its own random contribution) and one process would serve proofs that do
// not match the key it read. `mkdir` is atomic, so the directory itself is the lock.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** True when the lock's holder is gone (dead pid, or no owner file long after the lock was made). */
function stale(lock: string): boolean {
  try {
    const owner = Number(readFileSync(join(lock, 'owner'), 'utf8'))
    return Number.isInteger(owner) && owner > 0 && !alive(owner)
  } catch {
    try {
      return Date.now() - statSync(lock).mtimeMs > 60_000
    } catch {
      return false // released meanwhile
    }
  }
}

/** Run `fn` while holding the lock directory `lock` (created next to the entry it protects). */
export async function withCacheLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lock)
      writeFileSync(join(lock, 'owner'), String(process.pid))
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      if (stale(lock)) rmSync(lock, { recursive: true, force: true })
      else await sleep(100)
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}
