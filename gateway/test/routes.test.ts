// @onHttp routes end to end: a real 2-of-3 network (in-process replicas on their own PGlite stores,
// real HTTP), the gateway on PGlite, a hand-written handler. Plus the path matcher on its own.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve, type ServerType } from '@hono/node-server'
import { zeroAddress } from 'viem'
import { dealerKeygen, verifyResult } from '@nexus/protocol/attest'
import { buildHandler, createReplica, createReplicaApp, type Replica } from '@nexus/runtime'
import { createGateway, type Gateway } from '../src/index.ts'
import { decodeTriggerPayload, findRoute, matchRoute } from '@nexus/protocol'
import { answerErrors } from './openapi-check.ts'

describe('route matching', () => {
  const routes = [
    { kind: 'route' as const, method: 'GET', path: '/balance/:addr' },
    { kind: 'route' as const, method: 'GET', path: '/balance/total' },
    { kind: 'route' as const, method: 'POST', path: '/transfer' },
  ]
  test('parameters, literals first, trailing slashes, encoded segments', () => {
    expect(matchRoute('/balance/:addr', '/balance/0xabc')).toEqual({ addr: '0xabc' })
    expect(matchRoute('/balance/:addr', '/balance/a%20b/')).toEqual({ addr: 'a b' })
    expect(matchRoute('/balance/:addr', '/balance')).toBeUndefined()
    expect(matchRoute('/balance/:addr', '/balance/x/y')).toBeUndefined()
    expect(findRoute(routes, 'GET', '/balance/total').match?.route.path).toBe('/balance/total')
    expect(findRoute(routes, 'get', '/balance/0x1').match?.params).toEqual({ addr: '0x1' })
    expect(findRoute(routes, 'GET', '/transfer')).toEqual({ match: undefined, allowed: ['POST'] })
    expect(findRoute(routes, 'GET', '/nope')).toEqual({ match: undefined, allowed: [] })
  })
})

describe('gateway HTTP routes', () => {
  const keys = dealerKeygen({ t: 2, n: 3 })
  keys.network.chainId = '31337'
  keys.network.verifier = zeroAddress
  const replicas: Replica[] = []
  const servers: ServerType[] = []
  let gateway: Gateway
  let url: string
  let deployed: unknown

  // The in-process replicas serve only this gateway (runtime/src/replica/gateway-auth.ts).
  const gatewayKey = new TextEncoder().encode('routes-test-gateway-key')

  beforeAll(async () => {
    const root = await mkdtemp(join(tmpdir(), 'nexus-routes-'))
    const [artifact] = await Promise.all([
      buildHandler(fileURLToPath(new URL('./routes-handler.ts', import.meta.url)), { name: 'echo' }),
      ...[1, 2, 3].map(async (i) => {
        const r = await createReplica({
          index: i,
          dataDir: join(root, `r${i}`),
          cacheDir: join(root, 'cache'),
          shareKey: keys.shares[i - 1],
          chainId: 31337n,
          verifier: zeroAddress,
        })
        replicas.push(r)
      }),
    ])
    const urls = await Promise.all(
      replicas
        .sort((a, b) => a.index - b.index)
        .map(
          (r) =>
            new Promise<string>((resolve) => {
              servers.push(
                serve({ fetch: createReplicaApp(r, { gatewayKey }).fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(`http://127.0.0.1:${info.port}`)),
              )
            }),
        ),
    )
    gateway = await createGateway({ replicas: urls, gatewayKey, network: keys.network, apiKeys: ['k'], limits: { invokeBytes: 1024, syncTimeoutMs: 60_000 } })
    url = `http://127.0.0.1:${await gateway.listen(0)}`
    const manifest = {
      ...artifact.manifest,
      triggers: [
        { kind: 'route', method: 'GET', path: '/balance/:addr' },
        { kind: 'route', method: 'POST', path: '/notes' },
      ],
    }
    const res = await fetch(`${url}/v1/functions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify({ manifest, component: Buffer.from(artifact.component).toString('base64') }),
    })
    expect(res.status).toBe(201)
    deployed = await res.json()
  }, 180_000)

  test('the function lists its declared triggers next to the invoke URL', async () => {
    const fn = (await (await fetch(`${url}/v1/functions/echo`)).json()) as any
    expect(fn.triggers).toEqual([
      { kind: 'http', path: '/v1/functions/echo/invoke' },
      { kind: 'route', method: 'GET', path: '/balance/:addr' },
      { kind: 'route', method: 'POST', path: '/notes' },
    ])
    const list = (await (await fetch(`${url}/v1/functions`)).json()) as any
    expect(list.items.find((f: any) => f.id === 'echo').triggers).toHaveLength(3)
  })

  afterAll(async () => {
    await gateway?.close()
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
    await Promise.allSettled(replicas.map((r) => r.close()))
  })

  const outputOf = (body: any) => JSON.parse(Buffer.from(body.result.output.slice(2), 'hex').toString())

  test('GET with a path parameter and query, POST with a body: route invocations with attested results', async () => {
    const get = await fetch(`${url}/v1/functions/echo/http/balance/0xAbC?b=2&a=1&b=3`, {
      headers: { 'X-Custom': 'hi', Authorization: 'Bearer deployer-secret', Cookie: 'session=secret', 'X-Api-Key': 'secret' },
    })
    expect(get.status).toBe(200)
    const got = (await get.json()) as any
    expect(got).toMatchObject({ state: 'attested', status: 'ok', trigger: 'route', seq: '1' })
    // The payload (the logged input) carries the request's headers canonically, never its credentials.
    const { headers, ...echoed } = outputOf(got)
    expect(headers).toContainEqual(['x-custom', 'hi'])
    expect(headers.map(([name]: [string]) => name)).toEqual([...headers.map(([name]: [string]) => name)].sort())
    expect(JSON.stringify(headers)).not.toMatch(/secret|authorization|cookie|api-key|host/i)
    expect(echoed).toEqual({
      trigger: 'route',
      kind: 'route',
      method: 'GET',
      path: '/balance/0xAbC',
      addr: '0xAbC',
      query: [
        ['b', '2'],
        ['a', '1'],
        ['b', '3'],
      ],
      body: '',
      count: 1,
    })
    expect((await verifyResult(got.result, keys.network)).ok).toBe(true)

    const post = await fetch(`${url}/v1/functions/echo/http/notes`, { method: 'POST', body: 'remember the milk' })
    const posted = (await post.json()) as any
    expect(post.status).toBe(200)
    expect(outputOf(posted)).toMatchObject({ method: 'POST', path: '/notes', body: 'remember the milk', count: 2 })
  }, 120_000)

  test('unknown path 404, wrong method 405, oversized body 413, unknown function 404: nothing is appended', async () => {
    const before = (await gateway.log.getFunction('echo'))!.lastSeq
    const cases: [string, RequestInit, number, string][] = [
      ['/v1/functions/echo/http/nope', {}, 404, 'NOT_FOUND'],
      ['/v1/functions/echo/http/notes', {}, 405, 'METHOD_NOT_ALLOWED'],
      ['/v1/functions/echo/http/notes', { method: 'POST', body: 'x'.repeat(2048) }, 413, 'PAYLOAD_TOO_LARGE'],
      ['/v1/functions/ghost/http/notes', { method: 'POST' }, 404, 'UNKNOWN_FUNCTION'],
    ]
    for (const [path, init, status, code] of cases) {
      const res = await fetch(`${url}${path}`, init)
      expect([path, res.status]).toEqual([path, status])
      expect(((await res.json()) as any).error.code).toBe(code)
    }
    expect((await gateway.log.getFunction('echo'))!.lastSeq).toBe(before)
  }, 60_000)

  test('Idempotency-Key: a retried route request is answered from the log, not appended twice', async () => {
    const send = () => fetch(`${url}/v1/functions/echo/http/notes`, { method: 'POST', body: 'once', headers: { 'idempotency-key': 'note-1' } })
    const [a, b] = [(await (await send()).json()) as any, (await (await send()).json()) as any]
    expect(b.id).toBe(a.id)
    expect(outputOf(b)).toEqual(outputOf(a))
  }, 60_000)

  const ROUTE = '/v1/functions/{id}/http/{path}'
  /** What the log recorded as the handler's request: the query it saw. */
  const loggedQuery = async (id: string) => {
    const inv = (await gateway.log.getInvocation(id))!
    return (decodeTriggerPayload('route', Buffer.from(inv.input.slice(2), 'hex')) as { query: [string, string][] }).query
  }

  test('?timeoutMs= on a route is the gateway’s: it sets the wait, and the handler and the log never see it', async () => {
    const res = await fetch(`${url}/v1/functions/echo/http/balance/0x1?timeoutMs=60000&x=1`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as any
    expect(answerErrors(ROUTE, 'GET', 200, body)).toEqual([])
    expect(res.headers.get('location')).toBe(`/v1/results/${body.id}`)
    // `output` is the handler's JSON, decoded from the signed result.output.
    expect(body.output).toEqual(outputOf(body))
    expect(body.output.query).toEqual([['x', '1']])
    expect(await loggedQuery(body.id)).toEqual([['x', '1']])
    expect((await verifyResult(body.result, keys.network)).ok).toBe(true)

    // timeoutMs=0: the answer is a 202 that says why, and the result URL attests it later.
    const quick = await fetch(`${url}/v1/functions/echo/http/balance/0x2?timeoutMs=0`)
    const pending = (await quick.json()) as any
    expect({ status: quick.status, reason: pending.pending?.reason }).toEqual({ status: 202, reason: 'timeout' })
    expect(answerErrors(ROUTE, 'GET', 202, pending)).toEqual([])
    expect(quick.headers.get('location')).toBe(pending.resultUrl)
    let settled: any
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      settled = await (await fetch(`${url}${pending.resultUrl}`)).json()
      if (settled.state !== 'pending') break
    }
    expect(settled).toMatchObject({ state: 'attested', output: { addr: '0x2', query: [] } })
    expect(answerErrors('/v1/results/{id}', 'GET', 200, settled)).toEqual([])

    // Prefer: respond-async answers at once, as on /invoke.
    const later = await fetch(`${url}/v1/functions/echo/http/balance/0x3`, { headers: { prefer: 'respond-async' } })
    expect({ status: later.status, reason: ((await later.json()) as any).pending.reason }).toEqual({ status: 202, reason: 'async' })
  }, 120_000)

  test('a bad or repeated timeoutMs is a 400 before anything is appended; a retry with another wait is the same request', async () => {
    const before = (await gateway.log.getFunction('echo'))!.lastSeq
    for (const query of ['timeoutMs=abc', 'timeoutMs=', 'timeoutMs=60001', 'timeoutMs=-1', 'timeoutMs=1&timeoutMs=2']) {
      const res = await fetch(`${url}/v1/functions/echo/http/balance/0x1?${query}`)
      expect([query, res.status, ((await res.json()) as any).error.code]).toEqual([query, 400, 'INVALID_REQUEST'])
    }
    expect((await gateway.log.getFunction('echo'))!.lastSeq).toBe(before)
    const send = (timeoutMs: number) =>
      fetch(`${url}/v1/functions/echo/http/notes?timeoutMs=${timeoutMs}`, { method: 'POST', body: 'twice', headers: { 'idempotency-key': 'note-2' } })
    const first = (await (await send(60_000)).json()) as any
    const again = await send(30_000)
    expect(again.status).toBe(200)
    expect(((await again.json()) as any).id).toBe(first.id)
  }, 60_000)

  test('the other answers match /openapi.json too: invoke (an error result), results, functions, deploy, health, ready', async () => {
    // echo expects a route payload: a plain invoke is a handler error, attested like any result.
    const invoked = await fetch(`${url}/v1/functions/echo/invoke?timeoutMs=60000`, { method: 'POST', body: 'not a route' })
    const invocation = (await invoked.json()) as any
    expect({ status: invoked.status, result: invocation.status }).toEqual({ status: 200, result: 'handler_error' })
    // Its message is readable in `outputText` (the output is text, not JSON).
    expect(invocation.output).toBeUndefined()
    expect(invocation.outputText).toBe(Buffer.from(invocation.result.output.slice(2), 'hex').toString())
    expect(invocation.outputText).toMatch(/JSON|token|parse/i)
    const checks: [string, string, string, number, unknown][] = [
      ['/v1/functions/{id}/invoke', 'POST', '', 200, invocation],
      ['/v1/functions', 'POST', '', 201, deployed],
    ]
    const get = async (template: string, path: string) => {
      const res = await fetch(`${url}${path}`)
      checks.push([template, 'GET', path, res.status, await res.json()])
    }
    await get('/v1/functions/{id}/results', '/v1/functions/echo/results?limit=3')
    await get('/v1/results/{id}', `/v1/results/${invocation.id}`)
    await get('/v1/functions', '/v1/functions')
    await get('/v1/functions/{id}', '/v1/functions/echo')
    await get('/v1/functions/{id}/versions', '/v1/functions/echo/versions')
    await get('/health', '/health')
    await get('/ready', '/ready')
    await get('/v1/functions/{id}/http/{path}', '/v1/functions/echo/http/nope')
    expect(checks.map(([template, method, path, status, body]) => [method, path || template, status, answerErrors(template, method, status, body)])).toEqual(
      checks.map(([template, method, path, status]) => [method, path || template, status, []]),
    )
    expect(checks.find(([, , path]) => path.endsWith('/nope'))?.[3]).toBe(404)
    const page = checks.find(([, , path]) => path.includes('/results?'))![4] as any
    expect(page.items).toHaveLength(3)
  }, 120_000)
})
