// `ctx.request` inside the component: the route payload as a Fetch-like request. QuickJS has no
// Headers or URLSearchParams, so both are small read-only classes here; their iteration order is
// the payload's (headers sorted by name, query in request order), identical on every replica.
import type { QueryParams, RequestHeaders, RequestInfo } from './types.ts'

const dec = new TextDecoder()

class ReadonlyHeaders implements RequestHeaders {
  readonly #values: Map<string, string>

  /** `pairs`: the payload's canonical list (lower-case names, sorted, one per name). */
  constructor(pairs: [string, string][]) {
    this.#values = new Map(pairs.map(([name, value]) => [name.toLowerCase(), value]))
  }
  get(name: string): string | null {
    return this.#values.get(String(name).toLowerCase()) ?? null
  }
  has(name: string): boolean {
    return this.#values.has(String(name).toLowerCase())
  }
  keys(): IterableIterator<string> {
    return this.#values.keys()
  }
  values(): IterableIterator<string> {
    return this.#values.values()
  }
  entries(): IterableIterator<[string, string]> {
    return this.#values.entries()
  }
  forEach(callback: (value: string, name: string) => void): void {
    for (const [name, value] of this.#values) callback(value, name)
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.#values.entries()
  }
  toJSON(): Record<string, string> {
    return Object.fromEntries(this.#values)
  }
}

/** `application/x-www-form-urlencoded` serialization, as URLSearchParams.toString() gives it. */
const formEncode = (s: string) =>
  encodeURIComponent(s)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')

class ReadonlyQuery implements QueryParams {
  readonly #pairs: [string, string][]

  constructor(pairs: [string, string][]) {
    this.#pairs = pairs.map(([name, value]) => [name, value])
  }
  get size(): number {
    return this.#pairs.length
  }
  get(name: string): string | null {
    return this.#pairs.find(([n]) => n === name)?.[1] ?? null
  }
  getAll(name: string): string[] {
    return this.#pairs.filter(([n]) => n === name).map(([, v]) => v)
  }
  has(name: string): boolean {
    return this.#pairs.some(([n]) => n === name)
  }
  keys(): IterableIterator<string> {
    return this.#pairs.map(([n]) => n).values()
  }
  values(): IterableIterator<string> {
    return this.#pairs.map(([, v]) => v).values()
  }
  entries(): IterableIterator<[string, string]> {
    return this.toJSON().values()
  }
  forEach(callback: (value: string, name: string) => void): void {
    for (const [name, value] of this.#pairs) callback(value, name)
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries()
  }
  toString(): string {
    return this.#pairs.map(([n, v]) => `${formEncode(n)}=${formEncode(v)}`).join('&')
  }
  /** The pairs, as `ctx.request.query` was before it became an object: returning it gives the same JSON. */
  toJSON(): [string, string][] {
    return this.#pairs.map(([n, v]) => [n, v])
  }
}

export type RequestParts = {
  method: string
  path: string
  params: Record<string, string>
  query: [string, string][]
  headers: [string, string][]
  body: Uint8Array
}

export function requestInfo(p: RequestParts): RequestInfo {
  const query = new ReadonlyQuery(p.query)
  const search = query.toString()
  const body = p.body
  return {
    method: p.method,
    path: p.path,
    url: search ? `${p.path}?${search}` : p.path,
    params: p.params,
    query,
    headers: new ReadonlyHeaders(p.headers),
    body,
    text: () => dec.decode(body),
    json: <T>() => {
      const text = dec.decode(body)
      try {
        return JSON.parse(text) as T
      } catch (err) {
        throw new SyntaxError(
          `ctx.request.json(): the request body is not JSON (${err instanceof Error ? err.message : String(err)}); read it with ctx.request.text()`,
        )
      }
    },
    bytes: () => body,
    arrayBuffer: () => body.slice().buffer,
  }
}
