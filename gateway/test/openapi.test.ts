// /openapi.json against what the gateway really serves: every route in the app's own route table
// (the @onHttp function routes and the /v1/zk routes included) must be in the document, with each
// method it answers. Real answers are checked against the document's schemas where a network runs
// (gateway/test/routes.test.ts); here the checker itself is shown to catch what it must.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { zeroAddress } from 'viem'
import { dealerKeygen } from '@nexus/protocol/attest'
import { createGateway, type Gateway, type Invocation } from '../src/index.ts'
import { invocationJson } from '../src/server/serialize.ts'
import { disputedJson } from '../src/server/answer.ts'
import { createZkRoutes } from '../src/zk/routes.ts'
import { openapi } from '../src/server/openapi.ts'
import { answerErrors, schemaErrors } from './openapi-check.ts'

let gateway: Gateway

beforeAll(async () => {
  const keys = dealerKeygen({ t: 1, n: 1 })
  // No replica is needed to list routes: this one never answers (nothing is invoked).
  const zk = createZkRoutes({ functions: new Map(), invoke: () => Promise.reject(new Error('not used')), invokeBytes: 1024 })
  gateway = await createGateway({
    replicas: ['http://127.0.0.1:9'],
    gatewayKey: new TextEncoder().encode('openapi-test-gateway-key'),
    network: { ...keys.network, chainId: '31337', verifier: zeroAddress },
    apiKeys: ['k'],
    cron: false,
    zk: { app: zk },
  })
}, 120_000)

afterAll(async () => {
  await gateway?.close()
})

/** Hono's `/v1/functions/:id/http/*` as OpenAPI's `/v1/functions/{id}/http/{path}`. */
const toOpenApiPath = (path: string) =>
  path
    .split('/')
    .map((segment) => (segment === '*' ? '{path}' : segment.startsWith(':') ? `{${segment.slice(1)}}` : segment))
    .join('/')
    .replace(/(.)\/$/, '$1')

/** What a registered method means in the document: ALL (the @onHttp router) is every route method. */
const methodsOf = (method: string) => (method === 'ALL' ? ['get', 'post', 'put', 'patch', 'delete'] : [method.toLowerCase()])

describe('/openapi.json', () => {
  test('every route the app serves is documented, with each method it answers', async () => {
    const routes = gateway.app.routes.filter((r) => r.path !== '/*') // '/*' entries are middleware (use)
    const served = [...new Set(routes.flatMap((r) => methodsOf(r.method).map((m) => `${m.toUpperCase()} ${toOpenApiPath(r.path)}`)))].sort()
    // The walk sees the routes it must: a route table that lost them would pass vacuously.
    expect(served).toEqual(
      expect.arrayContaining(['GET /v1/functions/{id}/http/{path}', 'PATCH /v1/functions/{id}/http', 'POST /v1/zk/{name}', 'GET /openapi.json']),
    )
    const documented = new Set(Object.entries(openapi.paths).flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`)))
    expect(served.filter((route) => !documented.has(route))).toEqual([])
    // And nothing documented that is not served.
    expect([...documented].filter((route) => !served.includes(route)).sort()).toEqual([])
  })

  test('the served document is the module’s, and every $ref in it resolves', async () => {
    const res = await gateway.app.request('/openapi.json')
    const doc = (await res.json()) as typeof openapi
    expect(doc.paths['/v1/functions/{id}/http/{path}'].get.parameters.map((p) => p.name)).toContain('timeoutMs')
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!)
    expect(refs.filter((name) => !(name in doc.components.schemas))).toEqual([])
  })

  test('the checker catches a served field the schema does not name, a missing one and a wrong type', () => {
    const pending: Invocation = {
      id: '00000000-0000-0000-0000-000000000001',
      functionId: 'f',
      seq: 1n,
      codeHash: `0x${'0'.repeat(64)}`,
      input: '0x',
      trigger: 'route',
      timestampMs: 0n,
      chainId: null,
      blockNumber: null,
      idempotencyKey: null,
      requestHash: '',
      state: 'pending',
      result: null,
      disagreements: [],
      abort: null,
      logs: [],
      attestedAt: null,
      createdAt: new Date(0),
    }
    const answer = invocationJson(pending)
    expect(answerErrors('/v1/results/{id}', 'GET', 200, answer)).toEqual([])
    expect(answerErrors('/v1/results/{id}', 'GET', 200, { ...answer, extra: 1 })).toEqual(['$.extra: served but not in the schema'])
    const { resultUrl: _, ...missing } = answer
    expect(answerErrors('/v1/results/{id}', 'GET', 200, missing)).toEqual(['$.resultUrl: required but missing'])
    expect(answerErrors('/v1/results/{id}', 'GET', 200, { ...answer, seq: 1 })).toEqual(['$.seq: expected string, got integer'])
    // A 202 must say why it is pending.
    expect(answerErrors('/v1/functions/{id}/http/{path}', 'GET', 202, answer)).toEqual(['$.pending: required but missing'])
    // The 502 of a disputed invocation carries the NO_QUORUM error and the invocation fields.
    const disputed = disputedJson({ ...pending, state: 'disputed', disagreements: [{ replica: 2, digest: '0x01', reason: 'digest differs' }] })
    expect(answerErrors('/v1/functions/{id}/invoke', 'POST', 502, disputed)).toEqual([])
    expect(answerErrors('/v1/functions/{id}/http/{path}', 'POST', 502, { ...disputed, error: { code: 'NO_QUORUM', message: 'x' } })).toEqual([
      '$.error.disagreements: required but missing',
    ])
    // A keyword the checker does not implement is an error, not a silent pass.
    expect(() => schemaErrors({ type: 'object', oneOf: [] }, {})).toThrow(/not supported/)
  })
})
