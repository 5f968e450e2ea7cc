// Matching a request path against a function's @onHttp routes (RouteTriggerSpec). Patterns are
// literal segments and `:name` parameters (one whole segment each); no wildcards or regexes, so
// two gateways always agree on which route a path hits. Parameters are matched here only to pick a
// route; the handler's entry extracts them again from the payload's path.
import type { RouteTriggerSpec } from '@nexus/protocol'

export type RouteMatch = { route: RouteTriggerSpec; params: Record<string, string> }

const segments = (path: string) => path.split('/').filter((s) => s !== '')

/** Params of `path` under `pattern`, or undefined if it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = segments(pattern)
  const got = segments(path)
  if (want.length !== got.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!
    if (w.startsWith(':')) {
      let value: string
      try {
        value = decodeURIComponent(got[i]!)
      } catch {
        return undefined
      }
      params[w.slice(1)] = value
    } else if (w !== got[i]) {
      return undefined
    }
  }
  return params
}

/**
 * The route for `method` and `path`: literal segments beat parameters (`/balance/total` wins
 * over `/balance/:addr`), then manifest order. `allowed` lists the methods of routes whose path
 * matched, for a 405 answer.
 */
export function findRoute(routes: RouteTriggerSpec[], method: string, path: string): { match?: RouteMatch; allowed: string[] } {
  const hits = routes
    .map((route, order) => ({ route, order, params: matchPath(route.path, path) }))
    .filter((h): h is { route: RouteTriggerSpec; order: number; params: Record<string, string> } => h.params !== undefined)
  const score = (p: string) => segments(p).filter((s) => !s.startsWith(':')).length
  hits.sort((a, b) => score(b.route.path) - score(a.route.path) || a.order - b.order)
  const m = method.toUpperCase()
  const hit = hits.find((h) => h.route.method.toUpperCase() === m || (m === 'HEAD' && h.route.method.toUpperCase() === 'GET'))
  return { match: hit && { route: hit.route, params: hit.params }, allowed: [...new Set(hits.map((h) => h.route.method.toUpperCase()))].sort() }
}
