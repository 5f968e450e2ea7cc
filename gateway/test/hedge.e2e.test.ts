// Hedged fan-out (docs/gateway.md "Spare replicas"): a single invocation goes to the first t
// replicas that reach it; the other n − t get it once those answered, or after hedgeMs when one of
// them is slow, and a spare applies what was attested without it later, in batches, while
// invocations keep coming. Real replica processes behind real proxies that log when each request
// arrives and when its answer leaves (and can replace a replica's share with an invalid one).
import type { Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { encodeG1, verifyResult } from '@nexus/protocol/attest'
import { bls12_381 as bls } from '@noble/curves/bls12-381.js'
import { createReplicaClient } from '../src/replicas/index.ts'
import { proxy } from './replica-proxy.ts'
import { deploy, helloArtifact, startGateway, startStack, type Stack } from './stack.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
type Event = { replica: number; functionId: string; seq: string; kind: 'request' | 'answer'; at: number }
type BatchEvent = { replica: number; functionId: string; seqs: string[]; at: number }

let stack: Stack
const servers: Server[] = []
const events: Event[] = []
const batchEvents: BatchEvent[] = []
/** The replica whose shares (single and batch) the proxy replaces with the G1 generator (0: none). */
const badShare = { index: 0 }
let urls: string[]
const slowReplica = { index: 0, delayMs: 0 }
/** The replica whose loops start late (its state answer is held back), so that it is the spare. */
const lateReplica = { index: 0, delayMs: 0 }

beforeAll(async () => {
  stack = await startStack()
  urls = []
  for (const r of stack.replicas) {
    const log = (kind: Event['kind']) => (body: any) =>
      events.push({
        replica: r.index,
        functionId: body.functionId ?? body.fields?.functionId,
        seq: String(body.seq ?? body.fields?.seq),
        kind,
        at: performance.now(),
      })
    const p = await proxy(r.url, {
      onExecute: log('request'),
      onExecuteBatch: (body: any) =>
        batchEvents.push({
          replica: r.index,
          functionId: body.requests[0].functionId,
          seqs: body.requests.map((q: any) => String(q.seq)),
          at: performance.now(),
        }),
      rewrite: (body: any) => {
        log('answer')(body)
        if (badShare.index === r.index && body.share) body.share.signature = encodeG1(bls.G1.Point.BASE as never)
      },
      rewriteBatch: (body: any) => {
        if (badShare.index === r.index && body.share) body.share.signature = encodeG1(bls.G1.Point.BASE as never)
      },
      get delayMs() {
        return slowReplica.index === r.index ? slowReplica.delayMs : 0
      },
      get stateDelayMs() {
        return lateReplica.index === r.index ? lateReplica.delayMs : 0
      },
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
        for (let k = 0; k < 600 && new Set(of('hello-hedge', seq, 'request').map((e) => e.replica)).size < 4; k++) await sleep(50)
        const requests = of('hello-hedge', seq, 'request').sort((a, b) => a.at - b.at)
        expect([...new Set(requests.map((e) => e.replica))].sort()).toEqual([1, 2, 3, 4])
        if (seq === 1) continue
        const firstWave = new Set(requests.slice(0, 3).map((e) => e.replica))
        const answers = events.filter((e) => e.kind === 'answer' && e.seq === String(seq) && firstWave.has(e.replica)).sort((a, b) => a.at - b.at)
        expect(answers).toHaveLength(3)
        expect(requests[3]!.at).toBeGreaterThanOrEqual(answers[2]!.at)
      }
      // The spare's last catch-up may still be applying when its request was seen: wait for it.
      const clients = stack.replicas.map((r) => createReplicaClient({ index: r.index, url: r.url, gatewayKey: stack.gatewayKey }))
      for (let k = 0; k < 200 && (await Promise.all(clients.map((c) => c.state('hello-hedge')))).some((s) => s?.lastAppliedSeq !== 5n); k++) await sleep(50)
      const roots = await Promise.all(clients.map((c) => c.state('hello-hedge')))
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
  test('back to back, a spare applies what was attested without it in batches, after those answers; all end at the same seq and root', async () => {
    // spareQuietMs: however loaded the machine, the 10 invocations come closer together than this.
    const { gateway, url } = await startGateway(stack, urls, undefined, undefined, { hedgeMs: 60_000, spareCatchUpMs: 2_000, spareQuietMs: 1_000 })
    const name = 'hello-catch-up'
    const started = performance.now()
    try {
      expect((await deploy(url, await helloArtifact(name))).status).toBe(201)
      const bodies: any[] = []
      // Sequential, each sent as soon as the previous answer arrives (checked afterwards, so the
      // function never goes quiet in between).
      for (let k = 1; k <= 10; k++) {
        const res = await fetch(`${url}/v1/functions/${name}/invoke?timeoutMs=60000`, { method: 'POST', body: `{"name":"c${k}"}` })
        expect(res.status).toBe(200)
        bodies.push(await res.json())
      }
      for (const body of bodies) expect((await verifyResult(body.result, stack.network)).ok).toBe(true)
      const clients = stack.replicas.map((r) => createReplicaClient({ index: r.index, url: r.url, gatewayKey: stack.gatewayKey }))
      for (let k = 0; k < 100 && (await Promise.all(clients.map((c) => c.state(name)))).some((s) => s?.lastAppliedSeq !== 10n); k++) await sleep(50)
      const states = await Promise.all(clients.map((c) => c.state(name)))
      expect(states.map((s) => s?.lastAppliedSeq)).toEqual([10n, 10n, 10n, 10n])
      expect(new Set(states.map((s) => s?.stateRoot)).size).toBe(1)
      // Catch-up batches: several seqs in one request, each already answered by t other replicas.
      const catchUps = batchEvents.filter((b) => b.functionId === name)
      expect(catchUps.some((b) => b.seqs.length > 1)).toBe(true)
      for (const b of catchUps)
        for (const seq of b.seqs) {
          // (answers carry no function id: this test's are the ones since it started)
          const answeredBefore = events.filter((e) => e.at >= started && e.seq === seq && e.kind === 'answer' && e.replica !== b.replica && e.at <= b.at)
          expect(answeredBefore.length).toBeGreaterThanOrEqual(3)
        }
    } finally {
      await gateway.close()
    }
  })

  test('an invalid share found after the spare caught up without signing: the spare is asked again and signs', async () => {
    // Replica 1 sends invalid shares; replica 4 starts late, so it is the spare. Signatures are checked
    // 4 s after combining, after the spare applied the invocations in a catch-up batch (at the latest
    // 2 s after the first; no per-invocation share), so the repair needs the spare to re-serve them
    // signed (alone, or in a new batch of its own).
    badShare.index = 1
    lateReplica.index = 4
    lateReplica.delayMs = 800
    const { gateway, url } = await startGateway(stack, urls, undefined, undefined, {
      hedgeMs: 60_000,
      spareCatchUpMs: 2_000,
      spareQuietMs: 1_000,
      checkDelayMs: 4_000,
    })
    const name = 'hello-catch-up-repair'
    try {
      expect((await deploy(url, await helloArtifact(name))).status).toBe(201)
      const answered: any[] = []
      for (let k = 1; k <= 6; k++)
        answered.push(await (await fetch(`${url}/v1/functions/${name}/invoke?timeoutMs=60000`, { method: 'POST', body: `{"name":"r${k}"}` })).json())
      for (const first of answered) {
        let body: any
        for (let k = 0; k < 200; k++) {
          body = await (await fetch(`${url}${first.resultUrl}`)).json()
          if (body.state === 'attested' && !body.result.signers.includes(1)) break
          await sleep(50)
        }
        expect(body.result.signers).not.toContain(1)
        expect((await verifyResult(body.result, stack.network)).ok).toBe(true)
        expect(body.result.fields).toEqual(first.result.fields)
      }
      // At least one invocation went to a replica in a catch-up batch and was sent to it again later.
      const catchUps = batchEvents.filter((b) => b.functionId === name)
      const reasked = catchUps.some((b) =>
        b.seqs.some(
          (seq) =>
            events.some((e) => e.functionId === name && e.kind === 'request' && e.replica === b.replica && e.seq === seq && e.at > b.at) ||
            catchUps.some((later) => later.replica === b.replica && later.at > b.at && later.seqs.includes(seq)),
        ),
      )
      expect(reasked).toBe(true)
    } finally {
      badShare.index = 0
      lateReplica.index = 0
      await gateway.close()
    }
  })
})
