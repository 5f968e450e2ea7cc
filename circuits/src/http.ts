// A Web-standard request handler for zk invocations, for the gateway to mount (Hono: `app.post('/zk/:name', (c) => handler(c.req.raw))`):
//   POST /zk/<name>  body: JSON request  →  200 zk result | 400 invalid input | 404 unknown | 502 provers failed
import type { ZkFunction } from '@nexus/protocol/zk'
import { isZkErrorResult, type ZkExecutor } from './invoke.ts'

export function createZkHttpHandler(parameters: {
  executor: ZkExecutor
  functions: Record<string, ZkFunction>
  /** Path prefix. Default `/zk/`. */
  prefix?: string
}): (request: Request) => Promise<Response> {
  const prefix = parameters.prefix ?? '/zk/'
  return async (request) => {
    const url = new URL(request.url)
    if (!url.pathname.startsWith(prefix)) return Response.json({ error: 'not found' }, { status: 404 })
    const name = decodeURIComponent(url.pathname.slice(prefix.length))
    const fn = Object.hasOwn(parameters.functions, name) ? parameters.functions[name] : undefined
    if (!fn) return Response.json({ error: { code: 'NEXUS_ZK_UNKNOWN_FUNCTION', message: `No zk function "${name}".` } }, { status: 404 })
    if (request.method !== 'POST') return Response.json({ error: 'use POST' }, { status: 405 })
    let body: unknown
    try {
      body = await request.json()
    } catch {
      return Response.json({ error: { code: 'NEXUS_ZK_INVALID_INPUT', message: 'The request body is not JSON.' } }, { status: 400 })
    }
    const result = await parameters.executor.invoke(fn, body)
    if (!isZkErrorResult(result)) return Response.json(result)
    return Response.json(result, { status: result.error.code === 'NEXUS_ZK_INVALID_INPUT' ? 400 : 502 })
  }
}
