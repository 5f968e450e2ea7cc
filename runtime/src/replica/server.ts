// The replica's HTTP server: the Hono app (app.ts) for everything, except POST /v1/execute and
// /v1/execute-batch, which a plain node:http handler serves. They are on every invocation's path,
// three or four replicas at a time on the dev stack's two cores; building a WHATWG Request and
// Response around them cost ≈ 15 % of a replica's main-thread CPU per invocation, and a batch's
// body (≈ 0.4 MB for 256 events) went through web streams twice. Same body limits, same JSON, same
// errors, same gateway authentication (checked on the raw body before it is parsed).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { errorAnswer, isInternalError } from '@nexus/protocol'
import { createReplicaApp, EXECUTE_BATCH_BODY_LIMIT, EXECUTE_BODY_LIMIT, parseJsonBody, type ReplicaAppOptions } from './app.ts'
import { PayloadTooLargeError } from './errors.ts'
import { verifyRequest } from './gateway-auth.ts'
import type { Replica } from './replica.ts'
import { executedBatchJson, executedResultJson, parseExecuteBatchRequest, parseExecuteRequest } from '@nexus/protocol'

type PlainRoute = { limit: number; answer(replica: Replica, body: unknown): Promise<unknown> }

// A Map, not an object: a request path is never looked up among an object's inherited keys.
const plainRoutes = new Map<string, PlainRoute>([
  [
    '/v1/execute',
    {
      limit: EXECUTE_BODY_LIMIT,
      answer: async (replica, body) => executedResultJson(await replica.execute(parseExecuteRequest(body))),
    },
  ],
  [
    '/v1/execute-batch',
    {
      limit: EXECUTE_BATCH_BODY_LIMIT,
      answer: async (replica, body) => executedBatchJson(await replica.executeBatch(parseExecuteBatchRequest(body))),
    },
  ],
])

/** An http.Server (not yet listening) serving the replica API. */
export function createReplicaServer(replica: Replica, options: ReplicaAppOptions): Server {
  const app = createReplicaApp(replica, options)
  const viaHono = getRequestListener(app.fetch)
  return createServer((req, res) => {
    const route = req.method === 'POST' && req.url ? plainRoutes.get(req.url) : undefined
    if (route) void serve(replica, options.gatewayKey, req.url!, route, req, res)
    else void viaHono(req, res)
  })
}

async function serve(replica: Replica, gatewayKey: Uint8Array, path: string, route: PlainRoute, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let status = 200
  let body: unknown
  let headers: Record<string, string> = {}
  try {
    const raw = await readBody(req, route.limit)
    if (raw === undefined) throw new PayloadTooLargeError(`request body exceeds ${route.limit} bytes`)
    verifyRequest(gatewayKey, 'POST', path, raw, (name) => {
      const value = req.headers[name]
      return Array.isArray(value) ? value[0] : value
    })
    body = await route.answer(replica, parseJsonBody(raw.toString('utf8')))
  } catch (err) {
    // The same answer as the Hono app's errorBoundary(), written without a Response.
    if (isInternalError(err)) console.error(err)
    ;({ status, body, headers } = errorAnswer(err))
  }
  const text = JSON.stringify(body)
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** The body's bytes, or undefined once it exceeds `limit` bytes (the rest is drained, not kept). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) chunks.push(chunk)
    })
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)))
    req.on('error', reject)
  })
}
