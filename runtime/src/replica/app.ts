// The replica's small HTTP API, driven by the gateway.
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { NexusError } from '../../../framework/src/errors/base.ts'
import type { Manifest } from '../build/artifact.ts'
import type { Replica } from './replica.ts'
import { SeqGapError } from './errors.ts'
import { executedBatchJson, executedResultJson, parseExecuteBatchRequest, parseExecuteRequest } from './wire.ts'

const statusOf: Record<string, ContentfulStatusCode> = {
  SEQ_GAP: 409, SEQ_MISMATCH: 409, UNKNOWN_CODE: 404, INVALID_ARTIFACT: 400, BAD_REQUEST: 400,
  // A chain read failed (RPC down or behind): nothing was recorded; the gateway retries later.
  CHAIN_UNAVAILABLE: 503,
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

export function createReplicaApp(replica: Replica): Hono {
  const app = new Hono()
  app.onError((err, c) => {
    const { status, body } = errorResponse(err)
    return c.json(body, status)
  })
  app.get('/health', (c) => c.json({ ok: true, index: replica.index }))
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
  app.get('/v1/functions/:id/state', async (c) => {
    const s = await replica.state(c.req.param('id'))
    return c.json({ lastAppliedSeq: s.lastAppliedSeq.toString(), stateRoot: s.stateRoot })
  })
  return app
}
