// State directories hold invocations, results, function state and key shares: readable or
// writable by other users of the machine they leak or corrupt what replicas sign. PGlite writes
// its files with the process umask (a probe found 4,845 of 5,044 files world-writable), so a state
// directory is made 0700 and everything under it 0600 (directories 0700) when it is opened: that
// also repairs directories written by older versions. The CLI entry points set umask 077 as well,
// so files created later are private from the start; the directory's own 0700 shuts out other
// users either way.
import { existsSync } from 'node:fs'
import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

/** Written once a walk made the whole tree private, under a private umask (see `makePrivate`). */
const MARKER = '.nexus-private'

/** Whether files this process creates are private already (the CLI's entry points set umask 077). */
function umaskIsPrivate(): boolean {
  // process.umask() without an argument is deprecated: set it, read the old value, set it back.
  // (A worker thread may not set it: then the walk runs, as it always did.)
  try {
    const current = process.umask(PRIVATE_UMASK)
    process.umask(current)
    return (current & PRIVATE_UMASK) === PRIVATE_UMASK
  } catch {
    return false
  }
}

/**
 * Create `dir` if needed and make it and its tree private to this user. The walk over the tree (a
 * replica's data folder holds ≈ 1,000 files: ≈ 30–100 ms per walk, three walks per start) is skipped
 * when an earlier walk left its marker and this process creates private files anyway: nothing in the
 * tree can have been made open since, by this code.
 */
export async function makePrivate(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  await chmod(dir, PRIVATE_DIR_MODE)
  const privateUmask = umaskIsPrivate()
  if (privateUmask && existsSync(join(dir, MARKER))) return
  // This process may create open files later (its umask is not private): the next start walks again.
  if (!privateUmask) await rm(join(dir, MARKER), { force: true })
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    // Symlinks are left alone: chmod would follow them out of the directory.
    if (entry.isSymbolicLink()) continue
    const path = join(entry.parentPath ?? entry.path, entry.name)
    await chmod(path, entry.isDirectory() ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE).catch((err: NodeJS.ErrnoException) => {
      // A file removed while we walk (PGlite rotates WAL segments) is not an error.
      if (err.code !== 'ENOENT') throw err
    })
  }
  if (privateUmask) await writeFile(join(dir, MARKER), '', { mode: PRIVATE_FILE_MODE })
}

/** umask for processes that write state: new files 0600, new directories 0700. */
export const PRIVATE_UMASK = 0o077
