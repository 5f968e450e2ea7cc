// Test fixture: a real HTTP proxy in front of a real replica, to make it misbehave or to watch it.
import { createServer, type IncomingMessage, type Server } from 'node:http'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Headers a test proxy forwards to the replica: JSON, and the gateway's signature (the path and
 * body reach the replica unchanged, so it still verifies).
 */
export function forwardHeaders(req: IncomingMessage): Record<string, string> {
  const auth: Record<string, string> = {}
  for (const name of ['authorization', 'x-nexus-time']) if (typeof req.headers[name] === 'string') auth[name] = req.headers[name] as string
  return { 'content-type': 'application/json', ...auth }
}

/**
 * Forward a request to the replica at `target`. Undefined when the replica is gone (stopped, or it
 * reset a reused connection): the caller answers 502, as a proxy does, which the gateway treats as
 * unavailable, instead of leaving an unhandled rejection in the test.
 */
export async function forward(target: string, req: IncomingMessage, body: Buffer): Promise<{ status: number; ok: boolean; text: string } | undefined> {
  try {
    const upstream = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers: forwardHeaders(req),
      body: req.method === 'GET' ? undefined : new Uint8Array(body),
    })
    return { status: upstream.status, ok: upstream.ok, text: await upstream.text() }
  } catch {
    return undefined
  }
}

/** The 502 a test proxy answers when `forward` found no replica. */
export const BAD_GATEWAY = JSON.stringify({ error: { code: 'BAD_GATEWAY', message: 'the replica behind this proxy did not answer' } })

export type ProxyOptions = {
  /** Edit /v1/execute answers. */
  rewrite?: (body: any) => void
  /** Edit /v1/execute-batch answers. */
  rewriteBatch?: (body: any) => void
  /** Hold /v1/execute answers back this long. */
  delayMs?: number
  /** Hold answers to GET …/state (where a gateway's replica loop starts) back this long. */
  stateDelayMs?: number
  /** Called when an /v1/execute request arrives, with its parsed body. */
  onExecute?: (request: any) => void
  /** Called when an /v1/execute-batch request arrives, with its parsed body. */
  onExecuteBatch?: (request: any) => void
  /** Read per request, after the hooks above: true answers every request 502, as a proxy whose replica is gone. */
  down?: boolean
}

/** Start a proxy for the replica at `target`. */
export async function proxy(target: string, options: ProxyOptions): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    if (req.url === '/v1/execute') options.onExecute?.(JSON.parse(Buffer.concat(chunks).toString('utf8')))
    if (req.url === '/v1/execute-batch') options.onExecuteBatch?.(JSON.parse(Buffer.concat(chunks).toString('utf8')))
    const upstream = options.down ? undefined : await forward(target, req, Buffer.concat(chunks))
    if (!upstream) return void res.writeHead(502, { 'content-type': 'application/json' }).end(BAD_GATEWAY)
    let text = upstream.text
    if (req.method === 'GET' && req.url?.endsWith('/state') && options.stateDelayMs) await sleep(options.stateDelayMs)
    if (req.url === '/v1/execute' && upstream.ok) {
      if (options.delayMs) await sleep(options.delayMs)
      if (options.rewrite) {
        const body = JSON.parse(text)
        options.rewrite(body)
        text = JSON.stringify(body)
      }
    }
    if (req.url === '/v1/execute-batch' && upstream.ok && options.rewriteBatch) {
      const body = JSON.parse(text)
      options.rewriteBatch(body)
      text = JSON.stringify(body)
    }
    res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server }
}
