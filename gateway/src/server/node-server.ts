// The gateway's node HTTP server, built for a clean stop and for hostile clients. Node's
// server.close() only stops listening: keep-alive connections stay open and keep delivering
// requests (a probe saw 44 invocations appended 61 s after Ctrl-C, which the stopped scheduler
// never ran). So a stop here (1) stops listening and closes idle connections, (2) answers any
// request that still arrives on a busy connection with 503 and `Connection: close`, (3) marks the
// responses in flight `Connection: close`, and (4) waits a bounded time for them before cutting
// what is left. Limits: a request must arrive whole within requestTimeoutMs (a lying
// Content-Length gets 408 and its connection back, not a connection held forever), its headers
// within headersTimeoutMs, and at most maxConnections are open at once.
import { createServer, type Server, type ServerResponse } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { errorBody } from '@nexus/protocol'
import { ShuttingDownError } from '../errors.ts'

export type HttpLimits = {
  /** Time to receive a whole request (headers and body), ms. Default: 60_000. */
  requestTimeoutMs?: number
  /** Time to receive a request's headers, ms. Default: 15_000. */
  headersTimeoutMs?: number
  /** An idle keep-alive connection is closed after this long, ms. Default: 5_000. */
  keepAliveTimeoutMs?: number
  /** Open connections at most; more are closed on accept. Default: 1024. */
  maxConnections?: number
}

export type NodeServer = {
  server: Server
  /** Bind and resolve with the port; rejects (and leaves nothing bound) on e.g. EADDRINUSE. */
  listen(port: number, hostname: string): Promise<number>
  /** Stop accepting (steps 1–3 above); idempotent. */
  stopAccepting(): void
  /** Wait at most `graceMs` for requests in flight, then close every connection. */
  close(graceMs: number): Promise<void>
}

const STOPPING_BODY = JSON.stringify(errorBody(new ShuttingDownError('The gateway is stopping; retry on the next instance.')))

export function createNodeServer(fetch: (request: Request) => Response | Promise<Response>, limits: HttpLimits = {}): NodeServer {
  const requestTimeout = limits.requestTimeoutMs ?? 60_000
  const headersTimeout = Math.min(limits.headersTimeoutMs ?? 15_000, requestTimeout)
  const listener = getRequestListener(fetch)
  const inFlight = new Set<ServerResponse>()
  let stopping = false
  let allAnswered: (() => void) | undefined
  const server = createServer(
    // Node checks these timeouts on an interval (default 30 s): check often enough to honour short ones.
    { requestTimeout, headersTimeout, connectionsCheckingInterval: Math.max(50, Math.min(1000, headersTimeout / 2)) },
    (req, res) => {
      if (stopping) {
        res.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(STOPPING_BODY), connection: 'close', 'retry-after': '1' })
        res.end(STOPPING_BODY)
        return
      }
      inFlight.add(res)
      res.once('close', () => {
        inFlight.delete(res)
        if (inFlight.size === 0) allAnswered?.()
      })
      void listener(req, res)
    },
  )
  server.keepAliveTimeout = limits.keepAliveTimeoutMs ?? 5_000
  server.maxConnections = limits.maxConnections ?? 1024
  let closed: Promise<void> | undefined
  const stopAccepting = () => {
    if (stopping) return
    stopping = true
    closed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeIdleConnections()
    // Answered with Connection: close, so the client does not send its next request here.
    for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false
  }
  return {
    server,
    listen: (port, hostname) =>
      new Promise<number>((resolve, reject) => {
        const fail = (err: Error) => reject(err)
        server.once('error', fail)
        server.listen(port, hostname, () => {
          server.off('error', fail)
          const address = server.address()
          resolve(typeof address === 'object' && address ? address.port : port)
        })
      }),
    stopAccepting,
    async close(graceMs) {
      stopAccepting()
      if (inFlight.size > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs)
          allAnswered = () => {
            clearTimeout(timer)
            resolve()
          }
        })
      }
      server.closeAllConnections()
      if (server.listening || closed) await closed
    },
  }
}
