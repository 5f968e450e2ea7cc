// The replica's HTTP server answers POST /v1/execute and /v1/execute-batch itself (no Hono): the
// same JSON, limits and error codes as the Hono app it stands in front of, which still serves every
// other route.
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from 'viem'
import { createReplicaApp, createReplicaServer, type Replica } from '../src/index.ts'
import { executeBatchRequestJson, executeRequestJson } from '@nexus/protocol'
import { EXECUTE_BATCH_BODY_LIMIT, EXECUTE_BODY_LIMIT } from '../src/replica/app.ts'
import { mixedFixture } from './fixtures/build-fixture.ts'
import { availableBackends } from '@nexus/testkit/backends'
import { replicaSuite } from './fixtures/replica-suite.ts'

describe('replica HTTP server', () => {
  const suite = replicaSuite(availableBackends()[0]!.make)
  let replica: Replica
  let codeHash: Hex
  let url: string
  let close: () => Promise<void>

  beforeAll(async () => {
    replica = await suite.replica(1)
    codeHash = (await replica.deploy(await mixedFixture())).codeHash
    const server = createReplicaServer(replica, { gatewayKey: suite.gatewayKey })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    close = () => new Promise((resolve) => server.close(() => resolve()))
  })
  afterAll(() => close?.())

  const post = (body: string | object, path = '/v1/execute') =>
    fetch(`${url}${path}`, suite.signed('POST', path, typeof body === 'string' ? body : JSON.stringify(body)))
  const execute = (seq: number, op: object, hash: Hex = codeHash) => post(executeRequestJson(suite.request(hash, seq, op)))

  it('executes and answers exactly what the Hono route answers for the same (already applied) seq', async () => {
    const res = await execute(1, { op: 'incr', key: 'k', n: 2 })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    const direct = await post(executeRequestJson(suite.request(codeHash, 1, { op: 'incr', key: 'k', n: 2 })))
    const viaHono = await createReplicaApp(replica, { gatewayKey: suite.gatewayKey }).request(
      '/v1/execute',
      suite.signed('POST', '/v1/execute', JSON.stringify(executeRequestJson(suite.request(codeHash, 1, { op: 'incr', key: 'k', n: 2 })))),
    )
    const body = await res.json()
    expect(await direct.json()).toEqual(body)
    expect(await viaHono.json()).toEqual(body)
    expect(body.share.index).toBe(1)
  })

  it('answers bad input with the same codes as the Hono app, and applies nothing', async () => {
    const malformed = await post('{"functionId":')
    expect(malformed.status).toBe(400)
    expect((await malformed.json()).error.code).toBe('BAD_REQUEST')
    const badField = await post({ ...executeRequestJson(suite.request(codeHash, 2, { op: 'incr', key: 'k' })), seq: 'two' })
    expect(badField.status).toBe(400)
    expect((await badField.json()).error).toEqual({ code: 'BAD_REQUEST', message: 'invalid field seq' })
    const gap = await execute(5, { op: 'incr', key: 'k' })
    expect(gap.status).toBe(409)
    expect((await gap.json()).error).toMatchObject({ code: 'SEQ_GAP', expected: '2' })
    const unknown = await execute(2, { op: 'incr', key: 'k' }, `0x${'ab'.repeat(32)}`)
    expect(unknown.status).toBe(404)
    expect((await unknown.json()).error.code).toBe('UNKNOWN_CODE')
    const tooLarge = await post('x'.repeat(EXECUTE_BODY_LIMIT + 1))
    expect(tooLarge.status).toBe(413)
    expect((await tooLarge.json()).error.code).toBe('PAYLOAD_TOO_LARGE')
    // The Hono app answers its own bad input in the same shape, status and code (one error boundary).
    const app = createReplicaApp(replica, { gatewayKey: suite.gatewayKey })
    const viaHono = (path: string, body: string) => app.request(path, suite.signed('POST', path, body))
    for (const path of ['/v1/execute', '/v1/execute-batch']) {
      const honoMalformed = await viaHono(path, '{"functionId":')
      expect({ path, status: honoMalformed.status, body: await honoMalformed.json() }).toEqual({
        path,
        status: 400,
        body: { error: { code: 'BAD_REQUEST', message: 'request body is not valid JSON' } },
      })
    }
    const honoTooLarge = await viaHono('/v1/execute', 'x'.repeat(EXECUTE_BODY_LIMIT + 1))
    expect({ status: honoTooLarge.status, body: await honoTooLarge.json() }).toEqual({
      status: 413,
      body: { error: { code: 'PAYLOAD_TOO_LARGE', message: `request body exceeds ${EXECUTE_BODY_LIMIT} bytes` } },
    })
    const honoGap = await viaHono('/v1/execute', JSON.stringify(executeRequestJson(suite.request(codeHash, 5, { op: 'incr', key: 'k' }))))
    expect({ status: honoGap.status, error: (await honoGap.json()).error }).toMatchObject({ status: 409, error: { code: 'SEQ_GAP', expected: '2' } })
    expect((await replica.state('mixed')).lastAppliedSeq).toBe(1n)
    // And the next seq still applies.
    expect((await execute(2, { op: 'incr', key: 'k' })).status).toBe(200)
  })

  it('serves a batch itself: the same answer as the Hono route, and its own body limit', async () => {
    const batch = () => JSON.stringify(executeBatchRequestJson([3, 4].map((seq) => suite.request(codeHash, seq, { op: 'incr', key: 'b' }))))
    const res = await post(batch(), '/v1/execute-batch')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    const body = await res.json()
    expect(body.results.map((r: { fields: { seq: string } }) => r.fields.seq)).toEqual(['3', '4'])
    expect(body.share.index).toBe(1)
    // Re-sent seqs are answered from the record: the plain handler and Hono give the same JSON.
    const again = await post(batch(), '/v1/execute-batch')
    const viaHono = await createReplicaApp(replica, { gatewayKey: suite.gatewayKey }).request(
      '/v1/execute-batch',
      suite.signed('POST', '/v1/execute-batch', batch()),
    )
    expect(await again.json()).toEqual(body)
    expect(await viaHono.json()).toEqual(body)
    const malformed = await post('[', '/v1/execute-batch')
    expect({ status: malformed.status, body: await malformed.json() }).toEqual({
      status: 400,
      body: { error: { code: 'BAD_REQUEST', message: 'request body is not valid JSON' } },
    })
    // Larger than a single execute may be, within the batch limit: refused for its content, not its size.
    const big = await post(`[${' '.repeat(EXECUTE_BODY_LIMIT + 1)}`, '/v1/execute-batch')
    expect((await big.json()).error.code).toBe('BAD_REQUEST')
    const tooLarge = await post('x'.repeat(EXECUTE_BATCH_BODY_LIMIT + 1), '/v1/execute-batch')
    expect({ status: tooLarge.status, code: (await tooLarge.json()).error.code }).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' })
    // An unsigned batch is refused before it is parsed.
    const unsigned = await fetch(`${url}/v1/execute-batch`, { method: 'POST', body: batch() })
    expect(unsigned.status).toBe(401)
    expect((await replica.state('mixed')).lastAppliedSeq).toBe(4n)
  })

  it('leaves every other route to the Hono app', async () => {
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ ok: true, index: 1 })
    const state = await (await fetch(`${url}/v1/functions/mixed/state`, suite.signed('GET', '/v1/functions/mixed/state'))).json()
    expect(state.lastAppliedSeq).toBe('4')
    const notFast = await fetch(`${url}/v1/execute`, suite.signed('GET', '/v1/execute')) // GET is not the plain path
    expect(notFast.status).toBe(404)
    expect(await notFast.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'No such route.' } })
  })
})
