// Where Nexus keeps what it can rebuild (bundles of its own processes and workers, compiled
// components): a folder only this user can write, never a shared temp folder, where another user
// could plant a file under the name we are about to load.
import { existsSync } from 'node:fs'
import { chmod, lstat, mkdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

export class CacheDirError extends Error {
  override name = 'CacheDirError'
}

/**
 * The candidates, best first: `NEXUS_CACHE_DIR`; the `node_modules/.cache/nexus` of the project
 * this package is installed in (or of the repository checkout it runs from, found by its
 * package-lock.json); `~/.cache/nexus` (`XDG_CACHE_HOME` when set).
 */
export function cacheDirCandidates(from = fileURLToPath(import.meta.url)): string[] {
  const out: string[] = []
  if (process.env.NEXUS_CACHE_DIR) out.push(process.env.NEXUS_CACHE_DIR)
  const nm = from.indexOf(`${sep}node_modules${sep}`)
  if (nm >= 0) out.push(join(from.slice(0, nm), 'node_modules', '.cache', 'nexus'))
  else {
    for (let dir = dirname(from); dir !== dirname(dir); dir = dirname(dir)) {
      if (existsSync(join(dir, 'package-lock.json'))) {
        out.push(join(dir, 'node_modules', '.cache', 'nexus'))
        break
      }
    }
  }
  out.push(join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'nexus'))
  return out
}

/** `dir` created 0700 if missing; refused when it is a symlink or another user's. */
export async function ensurePrivateDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const st = await lstat(dir)
  if (!st.isDirectory()) throw new CacheDirError(`${dir} is not a directory (a symlink is refused)`)
  if (typeof process.getuid === 'function' && st.uid !== process.getuid())
    throw new CacheDirError(`${dir} belongs to another user (uid ${st.uid}); set NEXUS_CACHE_DIR to a folder of yours`)
  if ((st.mode & 0o022) !== 0) await chmod(dir, 0o700)
  return dir
}

const resolved = new Map<string, Promise<string>>()

/** The first candidate this process can use as a private folder, plus `sub` (made likewise). */
export function nexusCacheDir(sub = ''): Promise<string> {
  let dir = resolved.get(sub)
  if (!dir) {
    dir = (async () => {
      const failures: string[] = []
      for (const base of cacheDirCandidates()) {
        try {
          await ensurePrivateDir(base)
          return sub ? await ensurePrivateDir(join(base, sub)) : base
        } catch (err) {
          failures.push(`${base}: ${err instanceof Error ? err.message : String(err)}`)
        }
      }
      throw new CacheDirError(`no usable cache folder for Nexus (set NEXUS_CACHE_DIR):\n  ${failures.join('\n  ')}`)
    })()
    resolved.set(sub, dir)
    dir.catch(() => resolved.delete(sub))
  }
  return dir
}
