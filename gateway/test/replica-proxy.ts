// Test fixture: a real HTTP proxy in front of a real replica, to make it misbehave or to watch it.
import { createServer, type Server } from 'node:http'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

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
}

/** Start a proxy for the replica at `target`. */
export async function proxy(target: string, options: ProxyOptions): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    if (req.url === '/v1/execute') options.onExecute?.(JSON.parse(Buffer.concat(chunks).toString('utf8')))
    if (req.url === '/v1/execute-batch') options.onExecuteBatch?.(JSON.parse(Buffer.concat(chunks).toString('utf8')))
    const upstream = await fetch(`${target}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json' }, body: req.method === 'GET' ? undefined : Buffer.concat(chunks) })
    let text = await upstream.text()
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
