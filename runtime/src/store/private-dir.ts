// State directories hold invocations, results, function state and key shares: readable or
// writable by other users of the machine they leak or corrupt what replicas sign. PGlite writes
// its files with the process umask (a probe found 4,845 of 5,044 files world-writable), so a state
// directory is made 0700 and everything under it 0600 (directories 0700) when it is opened: that
// also repairs directories written by older versions. The CLI entry points set umask 077 as well,
// so files created later are private from the start; the directory's own 0700 shuts out other
// users either way.
import { chmodSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

/**
 * Create `dir` if needed and make it and its tree private to this user. Synchronous on purpose: it
 * runs while a store opens, before the process serves anything, and a PGlite folder holds ≈ 1,000
 * files. Awaiting a chmod each through libuv's thread pool took 60–100 ms per walk, three walks per
 * replica start; the same walk done synchronously takes ≈ 10–25 ms.
 */
export function makePrivate(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  chmodSync(dir, PRIVATE_DIR_MODE)
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    // Symlinks are left alone: chmod would follow them out of the directory.
    if (entry.isSymbolicLink()) continue
    try {
      chmodSync(join(entry.parentPath ?? entry.path, entry.name), entry.isDirectory() ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE)
    } catch (err) {
      // A file removed while we walk (PGlite rotates WAL segments) is not an error.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
}

/** umask for processes that write state: new files 0600, new directories 0700. */
export const PRIVATE_UMASK = 0o077
