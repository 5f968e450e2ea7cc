// `ctx.kv` inside the component, on the host's four KV calls (get/set/delete/scan): strings are
// stored as UTF-8, and `list` pages over `scan` with a cursor, so the WIT world stays as it is.
// Every page is a pure function of the state and the arguments: identical on every replica.
import type { Host } from './host.ts'
import { toJson } from './output.ts'
import type { KvContext, KvListOptions, KvListPage, KvValue } from './types.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

/** The host's cap on one scan (runtime/src/sandbox/host-imports.ts). */
const MAX_PAGE = 1000

function valueBytes(value: KvValue): Uint8Array {
  if (typeof value === 'string') return enc.encode(value)
  if (value instanceof Uint8Array) return value
  // Untyped callers: other views and buffers are bytes too; anything else is a mistake to name.
  const view = value as unknown
  if (ArrayBuffer.isView(view)) return new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
  if (view instanceof ArrayBuffer) return new Uint8Array(view)
  throw new TypeError(`kv.set: the value must be a string or a Uint8Array, not ${value === null ? 'null' : typeof value}; use kv.setJson for other values`)
}

function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return 100
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`kv.list: limit must be a positive integer, not ${String(limit)}`)
  return Math.min(limit, MAX_PAGE)
}

function list(kv: Host['kv'], prefix: string, options: KvListOptions): KvListPage {
  const limit = pageLimit(options.limit)
  // One row past the page says whether there is a next page, so the last page has no cursor.
  const rows = kv.scan(prefix, options.cursor, Math.min(limit + 1, MAX_PAGE))
  let more = rows.length > limit
  if (!more && rows.length === MAX_PAGE) more = kv.scan(prefix, rows[rows.length - 1]![0], 1).length > 0
  const entries = rows.slice(0, limit)
  return { keys: entries.map(([k]) => k), entries, cursor: more ? entries[entries.length - 1]![0] : undefined }
}

export function kvContext(kv: Host['kv']): KvContext {
  // The QuickJS bindings give `null` for an absent option; the context promises `undefined`.
  const get = (key: string) => kv.get(key) ?? undefined
  return {
    get,
    set: (key, value) => kv.set(key, valueBytes(value)),
    delete: (key) => kv.delete(key),
    list: (prefixOrOptions?: string | (KvListOptions & { prefix?: string }), options?: KvListOptions) =>
      typeof prefixOrOptions === 'object' && prefixOrOptions !== null
        ? list(kv, prefixOrOptions.prefix ?? '', prefixOrOptions)
        : list(kv, prefixOrOptions ?? '', options ?? {}),
    scan: (prefix, options = {}) => kv.scan(prefix, options.startAfter, options.limit ?? 100),
    getString: (key) => {
      const v = get(key)
      return v === undefined ? undefined : dec.decode(v)
    },
    setString: (key, value) => kv.set(key, enc.encode(value)),
    getJson: <T>(key: string) => {
      const v = get(key)
      return v === undefined ? undefined : (JSON.parse(dec.decode(v)) as T)
    },
    setJson: (key, value) => kv.set(key, enc.encode(toJson(value))),
  }
}
