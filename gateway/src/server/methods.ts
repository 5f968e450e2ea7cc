// Which methods a path is served with, from the app's own route table: a known path asked with
// another method is a 405 with an `Allow` header, not a 404 (RFC 9110 §15.5.6). Computed from
// `app.routes` when first needed and again when routes were added (the zk routes mount later).
import type { Hono } from 'hono'

type Compiled = { pattern: RegExp; method: string }

const toRegExp = (path: string) =>
  new RegExp(
    `^${path
      .split('/')
      .map((seg) => (seg === '*' ? '.*' : seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')}/?$`,
  )

/** `allowed(path)` → the methods (GET implies HEAD) whose routes match `path`; [] for an unknown path. */
export function createAllowedMethods(app: Hono): (path: string) => string[] {
  let compiled: Compiled[] = []
  let seen = -1
  return (path) => {
    if (seen !== app.routes.length) {
      seen = app.routes.length
      // ALL routes (middleware, the @onHttp router) answer every method themselves.
      compiled = app.routes.filter((r) => r.method !== 'ALL').map((r) => ({ pattern: toRegExp(r.path), method: r.method.toUpperCase() }))
    }
    const methods = new Set(compiled.filter((c) => c.pattern.test(path)).map((c) => c.method))
    if (methods.has('GET')) methods.add('HEAD')
    return [...methods].sort()
  }
}
