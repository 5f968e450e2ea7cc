// Hedged fan-out (docs/gateway.md "Spare replicas"): a single invocation goes to the first t
// replicas that reach it; the other n − t get it once those answered, or after hedgeMs when one of
// them is slow. Real replica processes behind real proxies that log when each request arrives
// and when its answer leaves.
import type { Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { verifyResult } from '../../framework/src/attest/index.ts'
import { createReplicaClient } from '../src/replicas/index.ts'
import { proxy } from './replica-proxy.ts'
import { deploy, helloArtifact, startGateway, startStack, type Stack } from './stack.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
type Event = { replica: number; functionId: string; seq: string; kind: 'request' | 'answer'; at: number }

let stack: Stack
const servers: Server[] = []
const events: Event[] = []
let urls: string[]
const slowReplica = { index: 0, delayMs: 0 }

beforeAll(async () => {
  stack = await startStack()
  urls = []
  for (const r of stack.replicas) {
    const log = (kind: Event['kind']) => (body: any) => events.push({ replica: r.index, functionId: body.functionId ?? body.fields?.functionId, seq: String(body.seq ?? body.fields?.seq), kind, at: performance.now() })
    const p = await proxy(r.url, {
      onExecute: log('request'),
      rewrite: log('answer'),
      get delayMs() { return slowReplica.index === r.index ? slowReplica.delayMs : 0 },
    })
    servers.push(p.server)
    urls.push(p.url)
  }
})

afterAll(async () => {
  for (const s of servers) s.close()
  await Promise.all(stack?.replicas.map((r) => r.stop()) ?? [])
})

/** Requests of one function's seq as they reached the proxies. */
const of = (functionId: string, seq: number, kind: 'request') => events.filter((e) => e.functionId === functionId && e.seq === String(seq) && e.kind === kind)

describe('hedged fan-out (3-of-4 real replicas)', () => {
  test('the spare replica is sent each invocation only after t replicas answered it, and still applies every seq', async () => {
    const { gateway, url } = await startGateway(stack, urls, undefined, { maxBatch: 1 }, { hedgeMs: 60_000 })
    try {
      expect((await deploy(url, await helloArtifact('hello-hedge'))).status).toBe(201)
      for (let k = 1; k <= 5; k++) {
        const res = await fetch(`${url}/v1/functions/hello-hedge/invoke?timeoutMs=60000`, { method: 'POST', body: `{"name":"h${k}"}` })
        const body = (await res.json()) as any
        expect(res.status).toBe(200)
        expect((await verifyResult(body.result, stack.network)).ok).toBe(true)
      }
      // Every replica applies every seq, the spare after the first wave's t-th answer left its proxy
      // (from seq 2: the first one may find a replica still without the artifact, which releases the spare).
      for (let seq = 1; seq <= 5; seq++) {
        for (let k = 0; k < 100 && new Set(of('hello-hedge', seq, 'request').map((e) => e.replica)).size < 4; k++) await sleep(50)
        const requests = of('hello-hedge', seq, 'request').sort((a, b) => a.at - b.at)
        expect([...new Set(requests.map((e) => e.replica))].sort()).toEqual([1, 2, 3, 4])
        if (seq === 1) continue
        const firstWave = new Set(requests.slice(0, 3).map((e) => e.replica))
        const answers = events.filter((e) => e.kind === 'answer' && e.seq === String(seq) && firstWave.has(e.replica)).sort((a, b) => a.at - b.at)
        expect(answers).toHaveLength(3)
        expect(requests[3]!.at).toBeGreaterThanOrEqual(answers[2]!.at)
      }
      const roots = await Promise.all(stack.replicas.map((r) => createReplicaClient({ index: r.index, url: r.url }).state('hello-hedge')))
      expect(roots.map((s) => s?.lastAppliedSeq)).toEqual([5n, 5n, 5n, 5n])
      expect(new Set(roots.map((s) => s?.stateRoot)).size).toBe(1)
    } finally {
      await gateway.close()
    }
  })

  test('a slow replica in the first wave: the spare goes after hedgeMs and the answer does not wait for the slow one', async () => {
    slowReplica.index = 1
    slowReplica.delayMs = 4_000
    const { gateway, url } = await startGateway(stack, urls, undefined, { maxBatch: 1 }, { hedgeMs: 100 })
    try {
      expect((await deploy(url, await helloArtifact('hello-hedge-slow'))).status).toBe(201)
      const res = await fetch(`${url}/v1/functions/hello-hedge-slow/invoke?timeoutMs=60000`, { method: 'POST', body: '{"name":"slow"}' })
      const answeredAt = performance.now()
      const body = (await res.json()) as any
      expect(res.status).toBe(200)
      expect(body.result.signers).toEqual([2, 3, 4])
      expect((await verifyResult(body.result, stack.network)).ok).toBe(true)
      // Replica 1 was sent it too, and its answer came only after the caller had the result.
      for (let k = 0; k < 200 && !events.some((e) => e.kind === 'answer' && e.replica === 1 && e.seq === '1' && e.at > answeredAt); k++) await sleep(50)
      expect(events.some((e) => e.kind === 'answer' && e.replica === 1 && e.seq === '1' && e.at > answeredAt)).toBe(true)
    } finally {
      slowReplica.index = 0
      await gateway.close()
    }
  })
})
