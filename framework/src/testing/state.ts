// Read-only views of one function's state for assertions: KV and files as the handler's next
// invocation would see them (the replica's own store, committed writes included).
import type { Replica } from '@nexus/runtime'
import { TestRuntimeOptionError } from './errors.ts'

export type KvView = {
  /** The value's bytes, or undefined. */
  get(key: string): Promise<Uint8Array | undefined>
  /** The value as UTF-8 text, or undefined. */
  getString(key: string): Promise<string | undefined>
  /** The value parsed as JSON (as `ctx.kv.setJson` wrote it), or undefined. */
  getJson<T = unknown>(key: string): Promise<T | undefined>
  /** Keys starting with `prefix`, in UTF-8 byte order, with their values. */
  list(prefix?: string): Promise<[string, Uint8Array][]>
}

export type FilesView = {
  /** A file's bytes, or undefined when there is none. Paths are the handler's, with or without a leading `/`. */
  read(path: string): Promise<Uint8Array | undefined>
  /** A file as UTF-8 text, or undefined. */
  readText(path: string): Promise<string | undefined>
  /** Every file and folder path under `dir` (default: the root), relative to the root. */
  list(dir?: string): Promise<string[]>
}

const text = new TextDecoder()

export function kvView(replica: Replica, functionId: string): KvView {
  const get = async (key: string) => ((await replica.read(functionId, { op: 'kv.get', key })) as Uint8Array | null) ?? undefined
  return {
    get,
    async getString(key) {
      const v = await get(key)
      return v && text.decode(v)
    },
    async getJson<T>(key: string) {
      const v = await get(key)
      return v && (JSON.parse(text.decode(v)) as T)
    },
    async list(prefix = '') {
      const out: [string, Uint8Array][] = []
      for (let startAfter: string | null = null; ; ) {
        const page = (await replica.read(functionId, { op: 'kv.scan', prefix, startAfter, limit: 1000 })) as [string, Uint8Array][]
        out.push(...page)
        if (page.length < 1000) return out
        startAfter = page.at(-1)![0]
      }
    },
  }
}

/** `/a/./b` → `a/b` (the store's form); leaving the root is refused, as the handler's fs refuses it. */
function storePath(path: string): string {
  const parts: string[] = []
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') {
      if (parts.length === 0) throw new TestRuntimeOptionError(`"${path}" leaves the function's root.`)
      parts.pop()
    } else parts.push(segment)
  }
  return parts.join('/')
}

export function filesView(replica: Replica, functionId: string): FilesView {
  const read = async (path: string) => {
    const entry = (await replica.read(functionId, { op: 'fs.get', path: storePath(path) })) as { kind: 'file'; data: Uint8Array } | { kind: 'dir' } | null
    return entry?.kind === 'file' ? entry.data : undefined
  }
  return {
    read,
    async readText(path) {
      const v = await read(path)
      return v && text.decode(v)
    },
    async list(dir = '') {
      // Walks fs.children (the sandbox's readdir) so the root lists like any folder.
      const out: string[] = []
      const walk = async (d: string): Promise<void> => {
        const names = (await replica.read(functionId, { op: 'fs.children', dir: d })) as string[]
        for (const name of names) {
          const path = d === '' ? name : `${d}/${name}`
          out.push(path)
          const entry = (await replica.read(functionId, { op: 'fs.get', path })) as { kind: string } | null
          if (entry?.kind === 'dir') await walk(path)
        }
      }
      await walk(storePath(dir))
      return out.sort()
    },
  }
}
