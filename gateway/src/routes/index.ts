// @onHttp routes served by the gateway: `/v1/functions/:id/http/<path>`. A request that matches
// one of the function's RouteTriggerSpecs becomes a 'route' invocation whose input is the
// canonical RoutePayload (method, path, query, body); the answer is the attested result, exactly
// as for POST /v1/functions/:id/invoke (202 with the result URL if it is not ready in time).
// The query parameter `timeoutMs` is the gateway's, not the handler's: it sets how long this call
// waits (as on /invoke) and is removed from the payload, so the handler sees, and the log records,
// the same request whatever the caller's patience. `Prefer: respond-async` answers 202 at once.
import { createHash } from 'node:crypto'
import type { Hono } from 'hono'
import { bytesHex, encodeTriggerPayload, routeRequestHeaders, type RoutePayload } from '@nexus/protocol'
import { FUNCTION_ID, findRoute, manifestTriggers, type RouteTriggerSpec } from '@nexus/protocol'
import { InvalidRequestError, MethodNotAllowedError, NotFoundError, PayloadTooLargeError, UnknownFunctionError } from '../errors.ts'
import type { Log } from '../log/index.ts'
import type { Scheduler } from '../scheduler/index.ts'
import { answerInvocation, parseTimeoutMs, prefersAsync } from '../server/answer.ts'

export { MethodNotAllowedError }

export type MountRoutesParameters = {
  log: Log
  scheduler: Scheduler
  /** Max request body, bytes. Default: 1 MiB. */
  maxBodyBytes?: number
  /** How long to wait for the attested result before answering 202, ms. Default: 10_000. */
  syncTimeoutMs?: number
}

const PREFIX = /^\/v1\/functions\/[^/]+\/http/

/** The query parameter the gateway takes for itself on function routes (never passed to the handler). */
export const ROUTE_TIMEOUT_PARAM = 'timeoutMs'

/** Adds `ALL /functions/:id/http/*` to `app` (the gateway mounts it on its `/v1` router). */
export function mountRoutes(app: Hono, p: MountRoutesParameters): void {
  const maxBodyBytes = p.maxBodyBytes ?? 1 << 20
  const syncTimeoutMs = p.syncTimeoutMs ?? 10_000
  const routesByCode = new Map<string, RouteTriggerSpec[]>()

  async function routesOf(codeHash: string): Promise<RouteTriggerSpec[]> {
    let routes = routesByCode.get(codeHash)
    if (!routes) {
      routes = manifestTriggers((await p.log.getManifest(codeHash)) ?? {}).filter((t): t is RouteTriggerSpec => t.kind === 'route')
      routesByCode.set(codeHash, routes)
    }
    return routes
  }

  const handler = async (c: import('hono').Context) => {
    const id = c.req.param('id') ?? ''
    const fn = FUNCTION_ID.test(id) ? await p.log.getFunction(id) : undefined
    if (!fn) throw new UnknownFunctionError(`Unknown function "${id}".`)
    const url = new URL(c.req.url)
    const path = url.pathname.replace(PREFIX, '') || '/'
    const { match, allowed } = findRoute(await routesOf(fn.codeHash), c.req.method, path)
    // HEAD would have to run the handler to know its headers: it is refused, never invoked.
    if (c.req.method === 'HEAD') {
      if (allowed.length > 0)
        throw new MethodNotAllowedError(`HEAD is not served on function routes (it would invoke the function); use ${allowed.join(', ')}.`, allowed)
      throw new NotFoundError(`Function "${fn.id}" has no route for ${path}.`)
    }
    if (!match) {
      if (allowed.length > 0) throw new MethodNotAllowedError(`${c.req.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}.`, allowed)
      throw new NotFoundError(`Function "${fn.id}" has no route for ${c.req.method} ${path}.`)
    }
    const declared = Number(c.req.header('content-length') ?? 0)
    if (declared > maxBodyBytes) throw new PayloadTooLargeError(`Request body exceeds ${maxBodyBytes} bytes.`)
    const body = await readLimited(c.req.raw, maxBodyBytes)
    const key = c.req.header('idempotency-key')
    if (key !== undefined && (key.length === 0 || key.length > 200)) throw new InvalidRequestError('Idempotency-Key must be 1-200 characters.')
    const waits = url.searchParams.getAll(ROUTE_TIMEOUT_PARAM)
    if (waits.length > 1) throw new InvalidRequestError(`${ROUTE_TIMEOUT_PARAM} given ${waits.length} times; give it once.`)
    const timeoutMs = parseTimeoutMs(waits[0], syncTimeoutMs)
    const payload: RoutePayload = {
      kind: 'route',
      method: match.route.method.toUpperCase(),
      path,
      query: [...url.searchParams.entries()].filter(([name]) => name !== ROUTE_TIMEOUT_PARAM),
      // Canonical and credential-free (protocol/src/triggers/route-headers.ts): they go into the log.
      headers: routeRequestHeaders(c.req.raw.headers),
      body: bytesHex(body),
    }
    const input = encodeTriggerPayload(payload)
    const appended = await p.log.append({
      functionId: fn.id,
      input: bytesHex(input),
      trigger: 'route',
      idempotencyKey: key === undefined ? undefined : `route:${key}`,
      requestHash: createHash('sha256').update(input).digest('hex'),
    })
    return answerInvocation(c, p.scheduler, appended, { mode: prefersAsync(c.req.header('prefer')) ? 'async' : 'sync', timeoutMs })
  }
  app.all('/functions/:id/http', handler)
  app.all('/functions/:id/http/*', handler)
}

/** The body, refusing to buffer more than `limit` bytes even when Content-Length lies or is absent. */
async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = request.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.length
    if (size > limit) {
      await reader.cancel().catch(() => {})
      throw new PayloadTooLargeError(`Request body exceeds ${limit} bytes.`)
    }
    chunks.push(value)
  }
  return new Uint8Array(Buffer.concat(chunks))
}
