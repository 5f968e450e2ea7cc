// The gateway's HTTP edges (issue 15, item 7) against a real 3-of-4 network (in-process replicas
// over real HTTP): cursors past int8 are a 400, wrong methods a 405 with Allow, HEAD never invokes,
// early 401/413 answers reach Node's fetch on a real socket, and a 202 below quorum says why.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startInProcessStack, type InProcessStack } from './inprocess-stack.ts'
import { send } from './http-client.ts'
import { helloArtifact } from './stack.ts'

let stack: InProcessStack
let url: string
const lastSeq = async () => (await stack.gateway.log.getFunction('hello'))!.lastSeq

beforeAll(async () => {
  stack = await startInProcessStack({ gateway: { limits: { syncTimeoutMs: 60_000 } } })
  url = stack.url
  const hello = await helloArtifact('hello')
  // hello with one @onHttp route, so that HEAD on a GET route can be tried.
  const manifest = { ...hello.manifest, triggers: [{ kind: 'route', method: 'GET', path: '/x' }] }
  const res = await send(`${url}/v1/functions`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: JSON.stringify({ ...hello, manifest }) })
  expect(res.status).toBe(201)
  // The first invocation compiles the component on every replica: on a loaded machine, minutes.
  const first = await send(`${url}/v1/functions/hello/invoke?mode=async`, { method: 'POST', body: '{"name":"http"}' })
  expect(await attested(first.json().id)).toMatchObject({ state: 'attested', seq: '1' })
}, 600_000)

async function attested(id: string, timeoutMs = 300_000): Promise<any> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const body = (await send(`${url}/v1/results/${id}`)).json()
    if (body.state !== 'pending' || Date.now() > deadline) return body
    await new Promise((r) => setTimeout(r, 250))
  }
}

afterAll(async () => {
  await stack?.close()
})

describe('gateway HTTP edges', () => {
  test('a cursor past the largest int8 is a 400, not a 500; the largest is an empty page', async () => {
    const over = await send(`${url}/v1/functions/hello/results?cursor=9223372036854775808`)
    expect({ status: over.status, code: over.json().error.code }).toEqual({ status: 400, code: 'INVALID_REQUEST' })
    const max = await send(`${url}/v1/functions/hello/results?cursor=9223372036854775807`)
    expect({ status: max.status, body: max.json() }).toEqual({ status: 200, body: { items: [], nextCursor: null } })
  })

  test('a known route asked with another method is 405 with Allow; an unknown one stays 404', async () => {
    const app = stack.gateway.app
    const cases: [string, string, number, string | null][] = [
      ['DELETE', '/v1/functions/hello', 405, 'GET, HEAD'],
      ['GET', '/v1/functions/hello/invoke', 405, 'POST'],
      ['PUT', '/v1/functions', 405, 'GET, HEAD, POST'],
      ['POST', '/health', 405, 'GET, HEAD'],
      ['PATCH', '/v1/results/00000000-0000-0000-0000-000000000000', 405, 'GET, HEAD'],
      ['GET', '/v1/nothing-here', 404, null],
    ]
    for (const [method, path, status, allow] of cases) {
      const res = await app.request(path, { method })
      const body = (await res.json()) as any
      expect({ method, path, status: res.status, allow: res.headers.get('allow'), code: body.error.code }).toEqual({
        method,
        path,
        status,
        allow,
        code: status === 405 ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND',
      })
    }
  })

  test('HEAD on a function route or on invoke answers without invoking', async () => {
    const before = await lastSeq()
    const route = await send(`${url}/v1/functions/hello/http/x`, { method: 'HEAD' })
    expect({ status: route.status, allow: route.headers.allow }).toEqual({ status: 405, allow: 'GET' })
    const invoke = await send(`${url}/v1/functions/hello/invoke`, { method: 'HEAD' })
    expect({ status: invoke.status, allow: invoke.headers.allow }).toEqual({ status: 405, allow: 'POST' })
    expect(await lastSeq()).toBe(before)
    // GET on the route still invokes.
    const get = await send(`${url}/v1/functions/hello/http/x`)
    expect([200, 202]).toContain(get.status)
    expect(await lastSeq()).toBe(before + 1n)
  })

  test("early 401 and 413 answers reach Node's fetch, and the next request on the pool works", async () => {
    const seen: string[] = []
    const attempt = async (label: string, run: () => Promise<Response>) => {
      try {
        const res = await run()
        await res.arrayBuffer()
        seen.push(`${label} ${res.status}`)
      } catch (err) {
        seen.push(`${label} ${(err as { cause?: Error }).cause?.message ?? String(err)}`)
      }
    }
    for (let round = 0; round < 4; round++) {
      await attempt('invoke 3 MiB', () => fetch(`${url}/v1/functions/hello/invoke`, { method: 'POST', body: Buffer.alloc(3 << 20, 120) }))
      await attempt('list', () => fetch(`${url}/v1/functions`))
      await attempt('deploy 20 MiB, bad key', () =>
        fetch(`${url}/v1/functions`, { method: 'POST', headers: { authorization: 'Bearer wrong' }, body: Buffer.alloc(20 << 20, 120) }),
      )
      await attempt('deploy 40 MiB', () =>
        fetch(`${url}/v1/functions`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: Buffer.alloc(40 << 20, 120) }),
      )
    }
    const want = Array.from({ length: 4 }, () => ['invoke 3 MiB 413', 'list 200', 'deploy 20 MiB, bad key 401', 'deploy 40 MiB 413']).flat()
    expect(seen).toEqual(want)
  })

  test('below quorum, a 202 says why: 2 of 4 replicas up, 3 must sign', async () => {
    await stack.stopReplica(3)
    await stack.stopReplica(4)
    const ready = await send(`${url}/ready`)
    expect(ready.status).toBe(503)
    const res = await send(`${url}/v1/functions/hello/invoke?timeoutMs=3000`, { method: 'POST', body: '{}' })
    expect(res.status).toBe(202)
    expect(res.json().pending).toMatchObject({ reason: 'below_quorum', replicasUp: 2, threshold: 3 })
    expect(res.json().pending.message).toMatch(/2 of 4 replicas/)
  })
})
