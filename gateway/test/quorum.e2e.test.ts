// Batched attestation and no-quorum handling, end to end: 4 real replica processes (t = 3) behind
// real HTTP proxies that can hold requests back (so a backlog forms and is sent as one batch) or
// rewrite a replica's answers (a byzantine replica). No mocks.
import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { keccak256, toHex } from 'viem'
import { parseResultFields, resultDigest, verifyResult } from '@nexus/protocol/attest'
import { deploy, helloArtifact, startGateway, startStack, type Stack } from './stack.ts'
import { BAD_GATEWAY, forward } from './replica-proxy.ts'

type Proxy = { url: string; open: boolean; close(): void }
let stack: Stack
const servers: Server[] = []
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any })

/** Forge one result JSON consistently (output, outputHash, digest); its share still signs the real digest. */
function forge(result: any) {
  result.output = toHex(new TextEncoder().encode('{"greeting":"forged"}'))
  result.fields.outputHash = keccak256(result.output)
  result.digest = resultDigest(parseResultFields(result.fields))
}

/** A proxy in front of `target`: answers 503 while closed; `rewrite` may change a JSON answer. */
async function proxy(target: string, rewrite?: (path: string, body: any) => void): Promise<Proxy> {
  const p = { url: '', open: true, close: () => server.close() }
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    if (!p.open) return res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":"HELD"}}')
    const upstream = await forward(target, req, Buffer.concat(chunks))
    if (!upstream) return void res.writeHead(502, { 'content-type': 'application/json' }).end(BAD_GATEWAY)
    let text = upstream.text
    if (rewrite && upstream.ok && req.url?.startsWith('/v1/execute')) {
      const body = JSON.parse(text)
      rewrite(req.url, body)
      text = JSON.stringify(body)
    }
    res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text)
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  p.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  return p
}

async function settled(base: string, ids: string[], timeoutMs = 240_000): Promise<any[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const bodies = await Promise.all(ids.map(async (id) => (await json(await fetch(`${base}/v1/results/${id}`))).body))
    if (bodies.every((b) => b.state !== 'pending') || Date.now() > deadline) return bodies
    await sleep(200)
  }
}

/** Append `count` async invocations while every replica is held back, then let them through. */
async function backlog(base: string, fn: string, proxies: Proxy[], count: number): Promise<string[]> {
  for (const p of proxies) p.open = false
  const ids: string[] = []
  for (let k = 0; k < count; k++) {
    const res = await json(await fetch(`${base}/v1/functions/${fn}/invoke?mode=async`, { method: 'POST', body: JSON.stringify({ name: `n${k}` }) }))
    expect(res.status).toBe(202)
    ids.push(res.body.id)
  }
  for (const p of proxies) p.open = true
  return ids
}

beforeAll(async () => {
  stack = await startStack()
}, 300_000)

afterAll(async () => {
  for (const s of servers) s.close()
  await Promise.all(stack?.replicas.map((r) => r.stop()) ?? [])
})

describe('quorum: batches and disputes (3-of-4 real replicas)', () => {
  test('a backlog is attested as one batch: one combined signature, every result verifies with its inclusion proof', async () => {
    const proxies = await Promise.all(stack.replicas.map((r) => proxy(r.url)))
    const { gateway, url } = await startGateway(
      stack,
      proxies.map((p) => p.url),
    )
    try {
      expect((await deploy(url, await helloArtifact('batched'))).status).toBe(201)
      const ids = await backlog(url, 'batched', proxies, 20)
      const results = await settled(url, ids)
      expect(results.map((r) => r.state)).toEqual(Array(20).fill('attested'))
      // The lane may try the first invocation(s) before the rest are appended (a loaded machine
      // appends slowly), and a batch is fixed once tried: those few are then attested first, and
      // everything appended meanwhile is one batch, one combined signature.
      const first = results.findIndex((r) => r.result.batch?.size === 20 - results.indexOf(r))
      expect(first).toBeGreaterThanOrEqual(0)
      expect(first).toBeLessThanOrEqual(3)
      const backlogged = results.slice(first)
      expect(backlogged.map((r) => r.result.batch?.size)).toEqual(Array(20 - first).fill(20 - first))
      expect(backlogged.map((r) => r.result.batch.index)).toEqual([...Array(20 - first).keys()])
      expect(new Set(backlogged.map((r) => r.result.signature)).size).toBe(1)
      for (const r of results) expect((await verifyResult(r.result, stack.network)).ok).toBe(true)
      expect(JSON.parse(Buffer.from(results[7].result.output.slice(2), 'hex').toString()).greeting).toBe('hello, n7')
      // A tampered inclusion proof does not verify.
      const tampered = structuredClone(results[19].result)
      tampered.batch.index = 4
      expect((await verifyResult(tampered, stack.network)).ok).toBe(false)
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/nexus_batches_total [1-4]\b/)
    } finally {
      await gateway.close()
    }
  }, 300_000)

  test('a batch is cut to the request size budget; every part is attested', async () => {
    const proxies = await Promise.all(stack.replicas.map((r) => proxy(r.url)))
    // Each invocation counts its hex input + 512 bytes: a 1700-byte budget fits 3 of these.
    const { gateway, url } = await startGateway(
      stack,
      proxies.map((p) => p.url),
      undefined,
      { maxBatchBytes: 1700 },
    )
    try {
      expect((await deploy(url, await helloArtifact('budget'))).status).toBe(201)
      const ids = await backlog(url, 'budget', proxies, 10)
      const results = await settled(url, ids)
      expect(results.map((r) => r.state)).toEqual(Array(10).fill('attested'))
      // Cut at the budget: 3 per batch (the first may be tried alone before the rest are appended).
      const sizes = results.map((r) => r.result.batch?.size ?? 1)
      expect(sizes.every((size) => size <= 3)).toBe(true)
      expect(sizes.filter((size) => size === 3).length).toBeGreaterThanOrEqual(6)
      for (const r of results) expect((await verifyResult(r.result, stack.network)).ok).toBe(true)
    } finally {
      await gateway.close()
    }
  }, 300_000)

  test('batch roots that cannot reach t fall back to one-by-one attestation', async () => {
    // Replicas 3 and 4 each forge a different result inside batches: no root has 3 shares.
    const proxies = await Promise.all(
      stack.replicas.map((r, i) =>
        proxy(
          r.url,
          i < 2
            ? undefined
            : (path, body) => {
                if (path === '/v1/execute-batch') forge(body.results[i - 2])
              },
        ),
      ),
    )
    const { gateway, url } = await startGateway(
      stack,
      proxies.map((p) => p.url),
    )
    try {
      expect((await deploy(url, await helloArtifact('split'))).status).toBe(201)
      const ids = await backlog(url, 'split', proxies, 6)
      const results = await settled(url, ids)
      expect(results.map((r) => r.state)).toEqual(Array(6).fill('attested'))
      for (const r of results) {
        expect(r.result.batch).toBeUndefined()
        expect((await verifyResult(r.result, stack.network)).ok).toBe(true)
      }
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/nexus_batch_splits_total 1\b/)
    } finally {
      await gateway.close()
    }
  }, 300_000)

  test('a 2–2 split is settled as disputed: NO_QUORUM with the disagreements, and the lane goes on', async () => {
    const proxies = await Promise.all(
      stack.replicas.map((r, i) =>
        proxy(
          r.url,
          i < 2
            ? undefined
            : (path, body) => {
                if (path === '/v1/execute') forge(body)
              },
        ),
      ),
    )
    const { gateway, url } = await startGateway(
      stack,
      proxies.map((p) => p.url),
    )
    try {
      expect((await deploy(url, await helloArtifact('disputed'))).status).toBe(201)
      for (const name of ['a', 'b']) {
        const res = await json(await fetch(`${url}/v1/functions/disputed/invoke?timeoutMs=60000`, { method: 'POST', body: JSON.stringify({ name }) }))
        expect(res.status).toBe(502)
        expect(res.body.error.code).toBe('NO_QUORUM')
        expect(res.body.state).toBe('disputed')
        expect(res.body.error.disagreements.map((d: any) => d.replica).sort()).toEqual([1, 2, 3, 4])
        const stored = await json(await fetch(`${url}/v1/results/${res.body.id}`))
        expect(stored.body.state).toBe('disputed')
      }
      expect(await (await fetch(`${url}/metrics`)).text()).toContain('nexus_invocations_total{status="disputed"} 2')
    } finally {
      await gateway.close()
    }
  }, 300_000)
})
