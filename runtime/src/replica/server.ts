// The replica's HTTP server: the Hono app (app.ts) for everything, except POST /v1/execute, which a
// plain node:http handler serves. That route is on every invocation's path, three replicas at a
// time on the dev stack's two cores; building a WHATWG Request and Response around it cost ≈ 15 %
// of a replica's main-thread CPU per invocation. Same body limit, same JSON, same errors, same
// gateway authentication (checked on the raw body before it is parsed).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { errorAnswer, isInternalError } from '@nexus/protocol'
import { createReplicaApp, EXECUTE_BODY_LIMIT, parseJsonBody, type ReplicaAppOptions } from './app.ts'
import { PayloadTooLargeError } from './errors.ts'
import { verifyRequest } from './gateway-auth.ts'
import type { Replica } from './replica.ts'
import { executedResultJson, parseExecuteRequest } from '@nexus/protocol'

/** An http.Server (not yet listening) serving the replica API. */
export function createReplicaServer(replica: Replica, options: ReplicaAppOptions): Server {
  const app = createReplicaApp(replica, options)
  const viaHono = getRequestListener(app.fetch)
  return createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/v1/execute') void execute(replica, options.gatewayKey, req, res)
    else void viaHono(req, res)
  })
}

async function execute(replica: Replica, gatewayKey: Uint8Array, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let status = 200
  let body: unknown
  let headers: Record<string, string> = {}
  try {
    const raw = await readBody(req, EXECUTE_BODY_LIMIT)
    if (raw === undefined) throw new PayloadTooLargeError(`request body exceeds ${EXECUTE_BODY_LIMIT} bytes`)
    verifyRequest(gatewayKey, 'POST', '/v1/execute', raw, (name) => {
      const value = req.headers[name]
      return Array.isArray(value) ? value[0] : value
    })
    body = executedResultJson(await replica.execute(parseExecuteRequest(parseJsonBody(raw.toString('utf8')))))
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
