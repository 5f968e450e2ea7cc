// `ctx.fs` inside the component, on the host's descriptor calls. Paths are POSIX-style and rooted at
// the function's own `/`: the leading slashes are dropped here, so `/last.txt` is the host's
// `last.txt`, and the host still refuses `..` above the root (`invalid-path`). Host error codes
// become an FsError naming the call and the path.
import { FsError, fsErrorKind } from './fs-error.ts'
import type { Host } from './host.ts'
import type { FsContext } from './types.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()
const bytes = (data: Uint8Array | string) => (typeof data === 'string' ? enc.encode(data) : data)

/** `/a/b` → `a/b`, `/` → `` (the root); relative paths are already rooted there. */
export function rootedPath(path: string): string {
  let i = 0
  while (path.charCodeAt(i) === 47 /* '/' */) i++
  return path.slice(i)
}

/** Runs a host fs call, turning its error code into an FsError about `operation(path)`. */
function hostCall<T>(operation: string, path: string, call: () => T, otherPath?: string): T {
  try {
    return call()
  } catch (err) {
    const kind = fsErrorKind(err)
    throw kind ? new FsError(operation, path, kind, otherPath) : err
  }
}

export function fsContext(fs: Host['fs']): FsContext {
  const withFd = <T>(operation: string, path: string, mode: Parameters<Host['fs']['open']>[1], body: (fd: number) => T): T =>
    hostCall(operation, path, () => {
      const fd = fs.open(rootedPath(path), mode)
      try {
        return body(fd)
      } finally {
        fs.close(fd)
      }
    })
  const readFile = (path: string, operation = 'readFile') =>
    withFd(operation, path, { read: true }, (fd) => {
      const chunks: Uint8Array[] = []
      let total = 0
      for (;;) {
        const chunk = fs.read(fd, 65536)
        if (chunk.length === 0) break
        chunks.push(chunk)
        total += chunk.length
      }
      const out = new Uint8Array(total)
      let at = 0
      for (const c of chunks) {
        out.set(c, at)
        at += c.length
      }
      return out
    })
  return {
    readFile: (path) => readFile(path),
    readText: (path) => dec.decode(readFile(path, 'readText')),
    writeFile: (path, data) => void withFd('writeFile', path, { write: true, create: true, truncate: true }, (fd) => fs.write(fd, bytes(data))),
    appendFile: (path, data) => void withFd('appendFile', path, { write: true, create: true, append: true }, (fd) => fs.write(fd, bytes(data))),
    exists: (path) => {
      try {
        hostCall('exists', path, () => fs.stat(rootedPath(path)))
        return true
      } catch (err) {
        // Nothing there is an answer; a path that may not be asked about (`../x`) is still an error.
        if (err instanceof FsError && (err.kind === 'not-found' || err.kind === 'not-a-directory')) return false
        throw err
      }
    },
    readdir: (path) => hostCall('readdir', path, () => fs.readdir(rootedPath(path))),
    mkdir: (path) => hostCall('mkdir', path, () => fs.mkdir(rootedPath(path))),
    unlink: (path) => hostCall('unlink', path, () => fs.unlink(rootedPath(path))),
    rename: (from, to) => hostCall('rename', from, () => fs.rename(rootedPath(from), rootedPath(to)), to),
  }
}
