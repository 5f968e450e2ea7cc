// The replica's small HTTP API, driven by its gateway and by nobody else: every route but
// GET /health answers 401 unless the request is signed with the gateway key (gateway-auth.ts).
import { Hono, type MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { NexusError } from '@nexus/protocol'
import type { Manifest } from '../build/artifact.ts'
import type { Replica } from './replica.ts'
import { SeqGapError } from './errors.ts'
import { verifyRequest } from './gateway-auth.ts'
import { executedBatchJson, executedResultJson, parseExecuteBatchRequest, parseExecuteRequest, parseVersions, versionsJson } from '@nexus/protocol'

const statusOf: Record<string, ContentfulStatusCode> = {
  SEQ_GAP: 409, SEQ_MISMATCH: 409, UNAUTHORIZED: 401, CODE_NOT_BOUND: 409, VERSION_CONFLICT: 409, TRIGGER_NOT_DECLARED: 422, UNKNOWN_CODE: 404, INVALID_ARTIFACT: 400, BAD_REQUEST: 400,
  // A chain read failed (RPC down or behind): nothing was recorded; the gateway retries later.
  CHAIN_UNAVAILABLE: 503,
  // The wall-clock backstop fired: nothing was recorded; the gateway settles it as an abort in the log.
  WATCHDOG: 503,
}

/** Most bytes one execute request may carry. */
export const EXECUTE_BODY_LIMIT = 8 << 20

/** The JSON error answer (status and body) for anything a route throws. */
export function errorResponse(err: unknown): { status: ContentfulStatusCode; body: { error: Record<string, string> } } {
  if (err instanceof SeqGapError) return { status: 409, body: { error: { code: err.code, message: err.shortMessage, expected: err.expected.toString() } } }
  if (err instanceof NexusError) return { status: statusOf[err.code] ?? 500, body: { error: { code: err.code, message: err.shortMessage } } }
  if (err instanceof TypeError || err instanceof SyntaxError) return { status: 400, body: { error: { code: 'BAD_REQUEST', message: err.message } } }
  return { status: 500, body: { error: { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) } } }
}

export type ReplicaAppOptions = {
  /** The secret the gateway signs its requests with (gateway-auth.ts). */
  gatewayKey: Uint8Array
}

/** Verifies the gateway's signature over method, path and body before any route runs. */
function gatewayAuth(key: Uint8Array): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'GET' && c.req.path === '/health') return next()
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
  app.onError((err, c) => {
    const { status, body } = errorResponse(err)
    return c.json(body, status)
  })
  app.get('/health', (c) => c.json({ ok: true, index: replica.index }))
  // Bounds what the signature check reads; routes keep their own, smaller limits.
  app.use('*', bodyLimit({ maxSize: 32 << 20 }), gatewayAuth(options.gatewayKey))
  app.post('/v1/artifacts', bodyLimit({ maxSize: 32 << 20 }), async (c) => {
    const body = (await c.req.json()) as { manifest?: Manifest; component?: string }
    if (!body?.manifest || typeof body.component !== 'string') throw new TypeError('expected { manifest, component: base64 }')
    const result = await replica.deploy({ manifest: body.manifest, component: new Uint8Array(Buffer.from(body.component, 'base64')) })
    return c.json(result)
  })
  app.get('/v1/artifacts/:codeHash', async (c) =>
    (await replica.hasCode(c.req.param('codeHash'))) ? c.json({ ok: true }) : c.json({ error: { code: 'UNKNOWN_CODE', message: 'not deployed' } }, 404))
  // Served by server.ts without Hono in the replica process; kept here for in-process callers.
  app.post('/v1/execute', bodyLimit({ maxSize: EXECUTE_BODY_LIMIT }), async (c) => {
    const request = parseExecuteRequest(await c.req.json())
    return c.json(executedResultJson(await replica.execute(request)))
  })
  // Batched attestation: consecutive seqs of one function, one transaction, one share over the Merkle root.
  app.post('/v1/execute-batch', bodyLimit({ maxSize: 32 << 20 }), async (c) => {
    const requests = parseExecuteBatchRequest(await c.req.json())
    return c.json(executedBatchJson(await replica.executeBatch(requests)))
  })
  // Which code the function runs from which seq (the gateway sends its deployed versions).
  app.put('/v1/functions/:id/versions', bodyLimit({ maxSize: 1 << 20 }), async (c) => {
    const id = c.req.param('id')
    await replica.bindVersions(id, parseVersions(await c.req.json()))
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
