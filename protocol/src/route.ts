// `@onHttp({ path: '/balance/:addr' })` patterns: literal segments match exactly, `:name` segments
// capture one non-empty segment (URI-decoded). No wildcards or regexes, so every gateway and the
// handler's own entry agree on which route a path hits.

/** Params of `path` under `pattern`, or undefined when it does not match. */
export function matchRoute(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean)
  const got = path.split('?')[0]!.split('/').filter(Boolean)
  if (want.length !== got.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!
    const g = got[i]!
    if (w.startsWith(':')) {
      let value: string
      try {
        value = decodeURIComponent(g)
      } catch {
        return undefined
      }
      params[w.slice(1)] = value
    } else if (w !== g) return undefined
  }
  return params
}

/** Build-time check of a pattern: starts with `/`, named params are identifiers and unique. */
export function routePatternProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string' || !pattern.startsWith('/')) return 'path must be a string starting with "/"'
  const names = pattern
    .split('/')
    .filter((s) => s.startsWith(':'))
    .map((s) => s.slice(1))
  for (const n of names) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) return `":${n}" is not a valid parameter name`
  if (new Set(names).size !== names.length) return 'a parameter name appears twice'
  return undefined
}

const literalSegments = (pattern: string) => pattern.split('/').filter((s) => s && !s.startsWith(':')).length

/**
 * The route a request hits: literal segments beat parameters (`/balance/total` over
 * `/balance/:addr`), then declaration order; HEAD is served by a GET route. `allowed` lists the
 * methods of every route whose path matched (upper case, sorted), for a 405 answer. The gateway
 * and the handler's entry both route with this, so they never disagree on which route a path hits.
 */
export function findRoute<R extends { method: string; path: string }>(
  routes: R[],
  method: string,
  path: string,
): { match?: { route: R; params: Record<string, string> }; allowed: string[] } {
  const m = method.toUpperCase()
  const hits = routes
    .map((route, order) => ({ route, order, params: matchRoute(route.path, path) }))
    .filter((h): h is { route: R; order: number; params: Record<string, string> } => h.params !== undefined)
    .sort((a, b) => literalSegments(b.route.path) - literalSegments(a.route.path) || a.order - b.order)
  const hit = hits.find((h) => h.route.method.toUpperCase() === m || (m === 'HEAD' && h.route.method.toUpperCase() === 'GET'))
  return { match: hit && { route: hit.route, params: hit.params }, allowed: [...new Set(hits.map((h) => h.route.method.toUpperCase()))].sort() }
}

/** The route a request hits and its params (see `findRoute`), or undefined when none does. */
export function selectRoute<R extends { method: string; path: string }>(
  routes: R[],
  method: string,
  path: string,
): { route: R; params: Record<string, string> } | undefined {
  return findRoute(routes, method, path).match
}
