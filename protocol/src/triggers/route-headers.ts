// Which request headers of an @onHttp request reach the handler, and in what form. They are part of
// the invocation's input, so they are written into the ordered log, kept there and hashed: they
// must be canonical (every replica and every re-encoding sees the same bytes) and must never carry
// a secret. A client that reuses its configured fetch (e.g. with `Authorization: Bearer <deployer
// key>`) to call a route would otherwise leave its key in the log. So: names lower-cased, one entry
// per name (repeats joined with ", " as Fetch does), sorted by name, minus the headers below.

/** Connection and framing headers: set by whichever client or proxy carried the request, not by its author. */
const TRANSPORT = new Set([
  'connection',
  'content-length',
  'expect',
  'host',
  'http2-settings',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
  'forwarded',
  'x-real-ip',
])

/** A name containing one of these may carry a credential: `authorization`, `cookie`, `x-api-key`, `x-auth-token`, `idempotency-key`... */
const SECRET_PARTS = ['auth', 'cookie', 'token', 'secret', 'passw', 'session', 'key', 'csrf', 'xsrf']

/** What a Fetch `Headers` offers everywhere (iteration needs the DOM.Iterable lib). */
export type HeadersLike = { forEach(callback: (value: string, name: string) => void): void }

/** Whether a request header (any case) is forwarded to the handler. */
export function isForwardedRouteHeader(name: string): boolean {
  const n = name.toLowerCase()
  if (TRANSPORT.has(n) || n.startsWith('x-forwarded-')) return false
  return !SECRET_PARTS.some((part) => n.includes(part))
}

/**
 * The canonical header list of a route payload: forwarded headers only, names lower-cased, repeats
 * joined with ", ", sorted by name. Accepts a Fetch `Headers` or a list of pairs.
 */
export function routeRequestHeaders(headers: readonly (readonly [string, string])[] | HeadersLike): [string, string][] {
  const byName = new Map<string, string>()
  const add = (value: string, rawName: string) => {
    const name = rawName.toLowerCase()
    if (!isForwardedRouteHeader(name)) return
    const seen = byName.get(name)
    byName.set(name, seen === undefined ? value : `${seen}, ${value}`)
  }
  if (Array.isArray(headers)) for (const [name, value] of headers as readonly (readonly [string, string])[]) add(value, name)
  else (headers as HeadersLike).forEach(add)
  return [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}
