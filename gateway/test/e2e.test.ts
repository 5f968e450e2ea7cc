// End to end with real processes: 4 replica children (`nexus replica`, t = 3) and the gateway
// over real HTTP. No mocks: a faulty replica is a real proxy that rewrites a real replica's answer.
import { createServer, request, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { keccak256, toHex } from 'viem'
import { resultDigest, parseResultFields, verifyResult } from '@nexus/protocol/attest'
import { startReplica } from '@nexus/cli/dev'
import type { Gateway } from '../src/index.ts'
import { API_KEY, deploy, helloArtifact, startGateway, startStack, type Stack } from './stack.ts'
import { BAD_GATEWAY, forward } from './replica-proxy.ts'
import { createReplicaClient } from '../src/replicas/index.ts'

const N = Number(process.env.NEXUS_E2E_INVOCATIONS ?? 500)
let stack: Stack
let gateway: Gateway
let url: string

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any })
const invoke = (fn: string, body: string, headers: Record<string, string> = {}, query = '') =>
  fetch(`${url}/v1/functions/${fn}/invoke${query}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })

/** A body over the 1 MiB limit, on its own connection (the server closes it after the 413 without reading the rest). */
function oversized(): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/functions/hello/invoke`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream' } },
      (res) => {
        let text = ''
        res.on('data', (d) => (text += d)).on('end', () => resolve(new Response(text, { status: res.statusCode })))
      },
    )
    req.on('error', reject)
    req.end(Buffer.alloc((1 << 20) + 10, 120))
  })
}

async function waitAttested(base: string, ids: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  const pending = new Set(ids)
  while (pending.size && Date.now() < deadline) {
    for (const id of [...pending]) {
      const { body } = await json(await fetch(`${base}/v1/results/${id}`))
      if (body.state === 'attested') pending.delete(id)
      else break
    }
    if (pending.size) await sleep(200)
  }
  return pending
}

beforeAll(async () => {
  stack = await startStack()
  ;({ gateway, url } = await startGateway(stack))
  const res = await deploy(url, await helloArtifact())
  expect(res.status).toBe(201)
})

afterAll(async () => {
  await gateway?.close()
  await Promise.all(stack?.replicas.map((r) => r.stop()) ?? [])
})

describe('gateway end to end (3-of-4 real replicas)', () => {
  test('deploy is idempotent by code hash; invoke returns a result that verifyResult accepts', async () => {
    const again = await json(await deploy(url, await helloArtifact()))
    expect(again.status).toBe(200)
    expect(again.body.created).toBe(false)

    const { status, body } = await json(await invoke('hello', '{"name":"e2e"}', {}, '?timeoutMs=60000'))
    expect(status).toBe(200)
    expect(body.state).toBe('attested')
    expect(body.status).toBe('ok')
    const verdict = await verifyResult(body.result, stack.network)
    expect(verdict.ok).toBe(true)
    const output = JSON.parse(Buffer.from(body.result.output.slice(2), 'hex').toString())
    expect(output).toMatchObject({ greeting: 'hello, e2e', count: 1, seq: '1' })
    expect(body.result.signers).toHaveLength(3)
    expect(body.result.groupPublicKey).toBe(stack.network.groupPublicKey)

    const again2 = await json(await fetch(`${url}${body.resultUrl}`))
    expect(again2.body.result).toEqual(body.result)

    const fn = await json(await fetch(`${url}/v1/functions/hello`))
    expect(fn.body.versions).toHaveLength(1)
    expect(fn.body.triggers[0].kind).toBe('http')
  })

  test('two functions with the same code: identical fields but the function id, so each result verifies only as its own (protocol v2)', async () => {
    for (const name of ['twin-a', 'twin-b']) expect((await deploy(url, await helloArtifact(name))).status).toBe(201)
    // Both at once, then wait: two cores shared by the replicas and the rest of CI.
    const ids = await Promise.all(
      ['twin-a', 'twin-b'].map(async (fn) => (await json(await invoke(fn, '{"name":"twin"}', {}, '?mode=async'))).body.id as string),
    )
    expect(await waitAttested(url, ids, 500_000)).toEqual(new Set())
    const [a, b] = await Promise.all(ids.map(async (id) => (await json(await fetch(`${url}/v1/results/${id}`))).body.result))
    expect(a.protocol).toBe('nexus.result.v2')
    expect([a.fields.functionId, b.fields.functionId]).toEqual(['twin-a', 'twin-b'])
    const { functionId: _a, functionIdHash: _ah, ...restA } = a.fields
    const { functionId: _b, functionIdHash: _bh, ...restB } = b.fields
    expect(restA).toEqual(restB) // same code hash, seq 1, input, output, empty root before and after
    expect(a.digest).not.toBe(b.digest)
    expect(await verifyResult(a, stack.network, { functionId: 'twin-a' })).toEqual({ ok: true, digest: a.digest })
    // twin-a's result presented as twin-b's, digest recomputed: the signature does not verify.
    const presented = { ...a, fields: b.fields, digest: b.digest }
    const verdict = await verifyResult(presented, stack.network, { functionId: 'twin-b' })
    expect(verdict.ok ? 'ok' : verdict.error.code).toBe('NEXUS_ATTEST_BAD_SIGNATURE')
  }, 600_000)

  test('a handler error is attested (status 1), not retried', async () => {
    const { status, body } = await json(await invoke('hello', '{"by":1.5}', {}, '?timeoutMs=60000'))
    expect(status).toBe(200)
    expect(body.status).toBe('handler_error')
    expect((await verifyResult(body.result, stack.network)).ok).toBe(true)
  })

  test('bad input: a clear 4xx with a code, nothing written', async () => {
    const before = (await json(await fetch(`${url}/v1/functions/hello`))).body.lastSeq
    const listFunctions = async () => (await json(await fetch(`${url}/v1/functions`))).body.items.map((f: any) => f.id)
    const functionsBefore = await listFunctions()
    const cases: [Promise<Response>, number, string][] = [
      [fetch(`${url}/v1/functions`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` }, body: '{"manifest":' }), 400, 'MALFORMED_JSON'],
      [invoke('hello', '{"name":'), 400, 'MALFORMED_JSON'],
      [oversized(), 413, 'PAYLOAD_TOO_LARGE'],
      [invoke('nope', '{}'), 404, 'UNKNOWN_FUNCTION'],
      [fetch(`${url}/v1/functions`, { method: 'POST', headers: { authorization: 'Bearer wrong' }, body: '{}' }), 401, 'UNAUTHORIZED'],
      [fetch(`${url}/v1/functions`, { method: 'POST', body: '{}' }), 401, 'UNAUTHORIZED'],
      [
        deploy(url, { manifest: { name: 'bad', codeHash: `0x${'00'.repeat(32)}` }, component: Buffer.from('not wasm at all').toString('base64') }),
        400,
        'INVALID_ARTIFACT',
      ],
      [helloArtifact('bad2').then((a) => deploy(url, { ...a, manifest: { ...a.manifest, codeHash: `0x${'11'.repeat(32)}` } })), 400, 'INVALID_ARTIFACT'],
      [fetch(`${url}/v1/results/00000000-0000-0000-0000-000000000000`), 404, 'UNKNOWN_RESULT'],
      [fetch(`${url}/v1/functions/hello/results?cursor=abc`), 400, 'INVALID_REQUEST'],
    ]
    for (const [promise, status, code] of cases) {
      const res = await json(await promise)
      expect({ status: res.status, code: res.body.error?.code }).toEqual({ status, code })
      expect(typeof res.body.error.message).toBe('string')
    }
    // Earlier tests deploy other functions (the twins); the refused deploys added none.
    expect(await listFunctions()).toEqual(functionsBefore)
    expect(functionsBefore).toContain('hello')
    expect((await json(await fetch(`${url}/v1/functions/hello`))).body.lastSeq).toBe(before)

    // Idempotency-Key: same body → same invocation; different body → 409 and nothing written.
    const first = await json(await invoke('hello', '{"name":"idem"}', { 'idempotency-key': 'k1' }, '?mode=async'))
    expect(first.status).toBe(202)
    const same = await json(await invoke('hello', '{"name":"idem"}', { 'idempotency-key': 'k1' }, '?mode=async'))
    expect(same.body.id).toBe(first.body.id)
    const conflict = await json(await invoke('hello', '{"name":"other"}', { 'idempotency-key': 'k1' }))
    expect(conflict.status).toBe(409)
    expect(conflict.body.error.code).toBe('IDEMPOTENCY_CONFLICT')
    expect((await json(await fetch(`${url}/v1/functions/hello`))).body.lastSeq).toBe(String(BigInt(before) + 1n))
    expect(await waitAttested(url, [first.body.id], 60_000)).toEqual(new Set())
  })

  test('service endpoints: openapi, health, ready, metrics', async () => {
    const spec = await json(await fetch(`${url}/openapi.json`))
    expect(spec.body.openapi).toBe('3.1.0')
    expect(Object.keys(spec.body.paths)).toContain('/v1/functions/{id}/invoke')
    expect((await fetch(`${url}/health`)).status).toBe(200)
    expect((await json(await fetch(`${url}/ready`))).body.ok).toBe(true)
    const metrics = await (await fetch(`${url}/metrics`)).text()
    expect(metrics).toContain('nexus_invocations_total{status="ok"}')
    expect(metrics).toContain('nexus_quorum_latency_seconds_count')
    expect(metrics).toContain('nexus_replica_lag')
  })

  test(`kill 1 of 4 replicas during ${N} invocations: all attested, none lost or duplicated; restart catches up`, async () => {
    const startSeq = BigInt((await json(await fetch(`${url}/v1/functions/hello`))).body.lastSeq)
    const ids: string[] = []
    let next = 0
    const victim = stack.replicas[3]!
    let killed: Promise<void> | undefined
    const worker = async () => {
      while (next < N) {
        const k = next++
        // A client that retries on network errors must send an Idempotency-Key, or it could double-invoke.
        let res
        for (let attempt = 0; ; attempt++) {
          try {
            res = await json(await invoke('hello', JSON.stringify({ name: `n${k}` }), { 'idempotency-key': `kill-${k}` }, '?mode=async'))
            break
          } catch (err) {
            if (attempt > 5) throw err
            await sleep(50)
          }
        }
        expect(res.status).toBe(202)
        ids.push(res.body.id)
        if (ids.length === Math.floor(N / 4)) killed = victim.kill()
      }
    }
    await Promise.all(Array.from({ length: 8 }, worker))
    await killed
    expect(new Set(ids).size).toBe(N)
    expect(await waitAttested(url, ids, 600_000)).toEqual(new Set())

    // Every seq exactly once, contiguous, each attested; the ids are exactly the acknowledged ones.
    const seen = new Map<string, string>()
    let cursor = startSeq.toString()
    for (;;) {
      const page = await json(await fetch(`${url}/v1/functions/hello/results?cursor=${cursor}&limit=200`))
      for (const item of page.body.items) {
        expect(item.state).toBe('attested')
        expect(seen.has(item.seq)).toBe(false)
        seen.set(item.seq, item.id)
      }
      if (!page.body.nextCursor) break
      cursor = page.body.nextCursor
    }
    expect(seen.size).toBe(N)
    expect([...seen.keys()].map(BigInt)).toEqual(Array.from({ length: N }, (_, k) => startSeq + BigInt(k + 1)))
    expect(new Set(seen.values())).toEqual(new Set(ids))

    // Results are real: check a sample against the group key; counters are strictly sequential.
    const last = await json(await fetch(`${url}/v1/results/${seen.get((startSeq + BigInt(N)).toString())}`))
    expect((await verifyResult(last.body.result, stack.network)).ok).toBe(true)
    expect(last.body.result.signers).not.toContain(4)

    // Restart the killed replica on the same port: it catches up from its last applied seq.
    stack.replicas[3] = await startReplica({ index: 4, dataDir: `${stack.root}/replica-4`, keyFile: `${stack.keysDir}/replica-4.key.json`, port: victim.port })
    const head = startSeq + BigInt(N)
    const deadline = Date.now() + 600_000
    let states: any[] = []
    while (Date.now() < deadline) {
      states = await Promise.all(
        stack.replicas.map(async (r) => {
          const state = await createReplicaClient({ index: r.index, url: r.url, gatewayKey: stack.gatewayKey }).state('hello')
          return { lastAppliedSeq: state?.lastAppliedSeq.toString(), stateRoot: state?.stateRoot }
        }),
      )
      if (states.every((s) => BigInt(s.lastAppliedSeq) === head)) break
      await sleep(500)
    }
    expect(states.map((s) => s.lastAppliedSeq)).toEqual(Array(4).fill(head.toString()))
    expect(new Set(states.map((s) => s.stateRoot)).size).toBe(1)
    expect(last.body.result.fields.stateRootAfter).toBe(states[0].stateRoot)
  })

  test('a replica that returns wrong output is outvoted and reported', async () => {
    // A real byzantine replica: a proxy in front of replica 4 that rewrites its output consistently
    // (output, outputHash, digest), keeping its share, which then signs a different digest.
    const target = stack.replicas[3]!.url
    const proxy: Server = createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const c of req) chunks.push(c as Buffer)
      const upstream = await forward(target, req, Buffer.concat(chunks))
      if (!upstream) return void res.writeHead(502, { 'content-type': 'application/json' }).end(BAD_GATEWAY)
      let text = upstream.text
      if (req.url === '/v1/execute' && upstream.ok) {
        const body = JSON.parse(text)
        body.output = toHex(new TextEncoder().encode('{"greeting":"forged"}'))
        body.fields.outputHash = keccak256(body.output)
        body.digest = resultDigest(parseResultFields(body.fields))
        text = JSON.stringify(body)
      }
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text)
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()))
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`
    const urls = stack.replicas.map((r) => r.url)
    urls[3] = proxyUrl
    const other = await startGateway(stack, urls)
    try {
      expect((await deploy(other.url, await helloArtifact('hello-byz'))).status).toBe(201)
      const res = await json(await fetch(`${other.url}/v1/functions/hello-byz/invoke?timeoutMs=60000`, { method: 'POST', body: '{"name":"honest"}' }))
      expect(res.status).toBe(200)
      expect((await verifyResult(res.body.result, stack.network)).ok).toBe(true)
      expect(JSON.parse(Buffer.from(res.body.result.output.slice(2), 'hex').toString()).greeting).toBe('hello, honest')
      expect(res.body.result.signers).toEqual([1, 2, 3])
      // The forged answer may arrive after the quorum; it is recorded either way.
      let disagreements: any[] = []
      for (let k = 0; k < 100 && disagreements.length === 0; k++) {
        disagreements = (await json(await fetch(`${other.url}${res.body.resultUrl}`))).body.disagreements
        if (!disagreements.length) await sleep(100)
      }
      expect(disagreements).toEqual([expect.objectContaining({ replica: 4, reason: 'digest differs from the attested result' })])
      expect(await (await fetch(`${other.url}/metrics`)).text()).toContain('nexus_share_disagreements_total{replica="4"} 1')
    } finally {
      await other.gateway.close()
      proxy.close()
    }
  })
})
