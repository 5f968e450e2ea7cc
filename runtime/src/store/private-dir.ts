// State directories hold invocations, results, function state and key shares: readable or
// writable by other users of the machine they leak or corrupt what replicas sign. PGlite writes
// its files with the process umask (a probe found 4,845 of 5,044 files world-writable), so a state
// directory is made 0700 and everything under it 0600 (directories 0700) when it is first opened
// (or found open to others: that also repairs directories written by older versions). The CLI entry points set umask 077 as well,
// so files created later are private from the start; the directory's own 0700 shuts out other
// users either way.
import { chmod, mkdir, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

/**
 * Create `dir` if needed and make it and its tree private to this user. A folder that is already
 * 0700 is not walked again (unless `always`): nobody else can enter it, whatever the modes inside,
 * and walking a PGlite folder (≈ 1,000 files, a chmod each) took 60–100 ms of every start. Answers
 * whether `dir` was already private.
 */
export async function makePrivate(dir: string, { always = false }: { always?: boolean } = {}): Promise<boolean> {
  const wasPrivate = await stat(dir).then(
    (s) => s.isDirectory() && (s.mode & 0o777) === PRIVATE_DIR_MODE,
    () => false,
  )
  if (wasPrivate && !always) return true
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  await chmod(dir, PRIVATE_DIR_MODE)
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    // Symlinks are left alone: chmod would follow them out of the directory.
    if (entry.isSymbolicLink()) continue
    const path = join(entry.parentPath ?? entry.path, entry.name)
    await chmod(path, entry.isDirectory() ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE).catch((err: NodeJS.ErrnoException) => {
      // A file removed while we walk (PGlite rotates WAL segments) is not an error.
      if (err.code !== 'ENOENT') throw err
    })
  }
  return wasPrivate
}

/** umask for processes that write state: new files 0600, new directories 0700. */
export const PRIVATE_UMASK = 0o077
