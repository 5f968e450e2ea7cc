// The replica's small HTTP API, driven by its gateway and by nobody else: every route but
// GET /health and GET /metrics (process memory and cache figures, no function's data) answers 401
// unless the request is signed with the gateway key (gateway-auth.ts).
// Errors answer like the gateway's (framework/src/errors/http.ts); each replica error names its status.
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { bodyLimit as honoBodyLimit } from 'hono/body-limit'
import { errorBoundary } from '@nexus/protocol'
import type { Manifest } from '../build/artifact.ts'
import type { Replica } from './replica.ts'
import { BadRequestError, PayloadTooLargeError, RouteNotFoundError, UnknownCodeError } from './errors.ts'
import { verifyRequest } from './gateway-auth.ts'
import { replicaMetrics } from './metrics.ts'
import { executedBatchJson, executedResultJson, parseExecuteBatchRequest, parseExecuteRequest, parseVersions, versionsJson } from '@nexus/protocol'

/** Most bytes one execute request may carry. */
export const EXECUTE_BODY_LIMIT = 8 << 20
export const EXECUTE_BATCH_BODY_LIMIT = 32 << 20

/** A body limit that refuses with PAYLOAD_TOO_LARGE (413), as the execute fast path does. */
const bodyLimit = (maxSize: number) =>
  honoBodyLimit({
    maxSize,
    onError: () => {
      throw new PayloadTooLargeError(`request body exceeds ${maxSize} bytes`)
    },
  })

/** The request body as JSON; BAD_REQUEST (400) when it is not JSON. */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (cause) {
    throw new BadRequestError('request body is not valid JSON', { cause })
  }
}
const readJson = async (c: Context) => parseJsonBody(await c.req.text())

export type ReplicaAppOptions = {
  /** The secret the gateway signs its requests with (gateway-auth.ts). */
  gatewayKey: Uint8Array
}

/** Verifies the gateway's signature over method, path and body before any route runs. */
function gatewayAuth(key: Uint8Array): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'GET' && (c.req.path === '/health' || c.req.path === '/metrics')) return next()
    const hasBody = c.req.method !== 'GET' && c.req.method !== 'HEAD'
    const body = hasBody ? new Uint8Array(await c.req.arrayBuffer()) : new Uint8Array(0)
    const url = new URL(c.req.url)
    verifyRequest(key, c.req.method, url.pathname + url.search, body, (name) => c.req.header(name))
    // The body was read here: hand the routes (and their body limits) a fresh copy of it.
    if (hasBody) c.req.raw = new Request(c.req.raw, { body })
    return next()
  }
}

export function createReplicaApp(replica: Replica, options: ReplicaAppOptions): Hono {
  if (!(options?.gatewayKey instanceof Uint8Array) || options.gatewayKey.length === 0) throw new TypeError('createReplicaApp: gatewayKey is required')
  const app = new Hono()
  app.onError(errorBoundary())
  app.notFound(() => {
    throw new RouteNotFoundError('No such route.')
  })
  app.get('/health', (c) => c.json({ ok: true, index: replica.index }))
  app.get('/metrics', (c) => c.text(replicaMetrics(replica), 200, { 'content-type': 'text/plain; version=0.0.4' }))
  // Bounds what the signature check reads; routes keep their own, smaller limits.
  app.use('*', bodyLimit(32 << 20), gatewayAuth(options.gatewayKey))
  app.post('/v1/artifacts', bodyLimit(32 << 20), async (c) => {
    const body = (await readJson(c)) as { manifest?: Manifest; component?: string } | null
    if (!body?.manifest || typeof body.component !== 'string') throw new BadRequestError('expected { manifest, component: base64 }')
    const result = await replica.deploy({ manifest: body.manifest, component: new Uint8Array(Buffer.from(body.component, 'base64')) })
    return c.json(result)
  })
  app.get('/v1/artifacts/:codeHash', async (c) => {
    const codeHash = c.req.param('codeHash')
    if (!(await replica.hasCode(codeHash))) throw new UnknownCodeError(codeHash)
    return c.json({ ok: true })
  })
  // These two are served by server.ts without Hono in the replica process; kept here for in-process callers.
  app.post('/v1/execute', bodyLimit(EXECUTE_BODY_LIMIT), async (c) => {
    const request = parseExecuteRequest(await readJson(c))
    return c.json(executedResultJson(await replica.execute(request)))
  })
  // Batched attestation: consecutive seqs of one function, one transaction, one share over the Merkle root.
  app.post('/v1/execute-batch', bodyLimit(EXECUTE_BATCH_BODY_LIMIT), async (c) => {
    const requests = parseExecuteBatchRequest(await readJson(c))
    return c.json(executedBatchJson(await replica.executeBatch(requests)))
  })
  // Which code the function runs from which seq (the gateway sends its deployed versions).
  app.put('/v1/functions/:id/versions', bodyLimit(1 << 20), async (c) => {
    const id = c.req.param('id')
    await replica.bindVersions(id, parseVersions(await readJson(c)))
    return c.json({ versions: versionsJson(await replica.versions(id)) })
  })
  app.get('/v1/functions/:id/versions', async (c) => c.json({ versions: versionsJson(await replica.versions(c.req.param('id'))) }))
  // Repair of a replica that diverged from the log: forget the function; the gateway re-applies it.
  app.post('/v1/functions/:id/reset', async (c) => {
    await replica.resetFunction(c.req.param('id'))
    return c.json({ ok: true })
  })
  app.get('/v1/functions/:id/state', async (c) => {
    const s = await replica.state(c.req.param('id'))
    return c.json({ lastAppliedSeq: s.lastAppliedSeq.toString(), stateRoot: s.stateRoot })
  })
  return app
}
