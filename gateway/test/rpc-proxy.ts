// A JSON-RPC proxy in front of anvil that misbehaves like public RPCs do, for the trigger tests:
// eth_getLogs over more than `maxLogBlocks` blocks is refused with -32005 ("query returned more than
// 10000 results"), and optionally every `dropEvery`-th request has its connection destroyed and every
// `rateLimitEvery`-th gets HTTP 429. viem batches, so a body may be one call or an array of calls.
// `logRanges` lists the eth_getLogs calls forwarded (their address and block range), in order.
import { createServer, request as httpRequest, type Server } from 'node:http'

export type RpcProxyOptions = { maxLogBlocks: number; dropEvery?: number; rateLimitEvery?: number }

export async function startRpcProxy(target: string, { maxLogBlocks, dropEvery, rateLimitEvery }: RpcProxyOptions) {
  const counts = { requests: 0, dropped: 0, rateLimited: 0, rangeRefused: 0 }
  const logRanges: { address: string; fromBlock: bigint; toBlock: bigint }[] = []
  const refuse = (call: any) =>
    call?.method === 'eth_getLogs' && BigInt(call.params[0].toBlock) - BigInt(call.params[0].fromBlock) + 1n > BigInt(maxLogBlocks)
      ? { jsonrpc: '2.0', id: call.id, error: { code: -32005, message: 'query returned more than 10000 results' } }
      : undefined
  const server: Server = createServer((req, res) => {
    let body = ''
    req
      .on('data', (d) => (body += d))
      .on('end', () => {
        const n = ++counts.requests
        if (dropEvery && n % dropEvery === 0) {
          counts.dropped++
          return req.socket.destroy()
        }
        if (rateLimitEvery && n % rateLimitEvery === 0) {
          counts.rateLimited++
          res.writeHead(429, { 'content-type': 'text/plain' }).end('Too Many Requests')
          return
        }
        const parsed = JSON.parse(body)
        const calls: any[] = Array.isArray(parsed) ? parsed : [parsed]
        const refused = calls.map(refuse)
        counts.rangeRefused += refused.filter(Boolean).length
        const forward = calls.filter((_, i) => !refused[i])
        for (const c of forward)
          if (c?.method === 'eth_getLogs')
            logRanges.push({
              address: String(c.params[0].address).toLowerCase(),
              fromBlock: BigInt(c.params[0].fromBlock),
              toBlock: BigInt(c.params[0].toBlock),
            })
        const reply = (answers: any[]) => {
          const byId = new Map(answers.map((a) => [a.id, a]))
          const out = calls.map((c, i) => refused[i] ?? byId.get(c.id))
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Array.isArray(parsed) ? out : out[0]))
        }
        if (forward.length === 0) return reply([])
        const up = httpRequest(target, { method: 'POST', headers: { 'content-type': 'application/json' } }, (upRes) => {
          let text = ''
          upRes
            .on('data', (d) => (text += d))
            .on('end', () => {
              const answer = JSON.parse(text)
              reply(Array.isArray(answer) ? answer : [answer])
            })
        })
        up.on('error', () => req.socket.destroy())
        up.end(JSON.stringify(Array.isArray(parsed) ? forward : forward[0]))
      })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    counts,
    logRanges,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  }
}
