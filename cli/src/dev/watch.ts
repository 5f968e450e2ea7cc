// What `nexus dev` watches in a project: every source file under handlers/ (recursively) and
// nexus.config.ts. Saves come in bursts (an editor writes, renames, touches), so changes are
// collected until 100 ms pass without one and handed over together. Tests, type declarations,
// editor swap files, node_modules and .nexus/ (where the build writes) are not sources.
//
// Each folder is watched on its own, not with `recursive: true`: on Linux, Node 20 implements
// that by watching each file, and loses a file an editor saves by renaming a new one over it.
// A folder's watch sees every save, and a new subfolder gets its own.
import { existsSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs'
import { join, relative } from 'node:path'
import type { Log } from './progress.ts'

export const CONFIG_FILE = 'nexus.config.ts'

export type ProjectWatcher = { close(): void }

const SOURCE = /\.([mc]?[jt]sx?|json)$/
const NOT_SOURCE = /\.(test|spec|test-d|d)\.[mc]?[jt]sx?$/

/** A path under handlers/ (relative, as fs.watch reports it) that a rebuild must see. */
export function isHandlerSource(relativePath: string): boolean {
  const parts = relativePath.split(/[\\/]/)
  if (parts.some((p) => p === 'node_modules' || p === '.nexus' || p === '__tests__' || p.startsWith('.'))) return false
  return SOURCE.test(relativePath) && !NOT_SOURCE.test(relativePath)
}

/** A folder under handlers/ (relative path; '' is handlers/ itself) whose files are sources. */
const isWatchedFolder = (relativePath: string) =>
  relativePath === '' || !relativePath.split(/[\\/]/).some((p) => p === 'node_modules' || p === '__tests__' || p.startsWith('.'))

const isFolder = (path: string) => {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

const safeReaddir = (dir: string) => {
  try {
    return readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
}

/** Watch `root`'s handlers/ and config; `onChange` gets the absolute paths changed in one burst. */
export function watchProject(root: string, onChange: (files: string[]) => void, o: { log: Log; debounceMs?: number }): ProjectWatcher {
  const debounceMs = o.debounceMs ?? 100
  const changed = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  let closed = false
  const note = (file: string) => {
    if (closed) return
    changed.add(file)
    clearTimeout(timer)
    timer = setTimeout(() => {
      const files = [...changed].sort()
      changed.clear()
      onChange(files)
    }, debounceMs)
  }
  const watchers = new Map<string, FSWatcher>()
  const onError = (what: string) => (err: Error) => o.log(`watching ${what} failed: ${err.message}; restart nexus dev to watch it again`)
  // The folder, not the file: editors that save by renaming a new file over the old one replace its inode.
  const rootWatcher = watch(root, { persistent: false }, (_event, name) => {
    if (name === CONFIG_FILE) note(join(root, CONFIG_FILE))
  })
  rootWatcher.on('error', onError(CONFIG_FILE))
  watchers.set(root, rootWatcher)
  const handlers = join(root, 'handlers')
  const watchFolder = (dir: string) => {
    if (closed || watchers.has(dir) || !isWatchedFolder(relative(handlers, dir))) return
    let watcher: FSWatcher
    try {
      watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (!name) return
        const path = join(dir, String(name))
        if (isHandlerSource(relative(handlers, path))) note(path)
        else if (isFolder(path)) {
          // A new subfolder: files written before its watch started are changes too.
          watchFolder(path)
          for (const e of safeReaddir(path)) if (e.isFile() && isHandlerSource(relative(handlers, join(path, e.name)))) note(join(path, e.name))
        }
      })
    } catch {
      return // gone already
    }
    // A deleted folder ends its watch; its files' removal was seen by the parent.
    watcher.on('error', () => {
      watcher.close()
      watchers.delete(dir)
    })
    watchers.set(dir, watcher)
    for (const entry of safeReaddir(dir)) if (entry.isDirectory()) watchFolder(join(dir, entry.name))
  }
  if (existsSync(handlers)) watchFolder(handlers)
  else o.log(`no ${handlers}/ folder: only ${CONFIG_FILE} is watched (restart nexus dev after creating it)`)
  return {
    close() {
      closed = true
      clearTimeout(timer)
      for (const w of watchers.values()) w.close()
      watchers.clear()
    },
  }
}
