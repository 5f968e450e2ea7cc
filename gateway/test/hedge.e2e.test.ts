// Hedged fan-out (docs/gateway.md "Spare replicas"): a single invocation goes to the first t
// replicas that reach it; the other n − t get it once those answered, or after hedgeMs when one of
// them is slow, and a spare applies what was attested without it later, in batches, while
// invocations keep coming. A backlog's batches likewise go to the first t replicas; the spare
// applies them once that first wave is through, and takes the place of a first-wave replica that
// goes down. Real replica processes behind real proxies that log when each request arrives and when
// its answer leaves (and can replace a replica's share with an invalid one, or play a replica gone).
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
type BatchAnswer = { replica: number; seqs: string[]; at: number }

let stack: Stack
const servers: Server[] = []
const events: Event[] = []
const batchEvents: BatchEvent[] = []
const batchAnswers: BatchAnswer[] = []
/** The replica whose proxy answers 502 to everything from its next batch request on (0: none). */
const goesDown = { index: 0, down: false }
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
      onExecuteBatch: (body: any) => {
        batchEvents.push({
          replica: r.index,
          functionId: body.requests[0].functionId,
          seqs: body.requests.map((q: any) => String(q.seq)),
          at: performance.now(),
        })
        if (goesDown.index === r.index) goesDown.down = true
      },
      rewrite: (body: any) => {
        log('answer')(body)
        if (badShare.index === r.index && body.share) body.share.signature = encodeG1(bls.G1.Point.BASE as never)
      },
      rewriteBatch: (body: any) => {
        batchAnswers.push({ replica: r.index, seqs: body.results.map((x: any) => String(x.fields.seq)), at: performance.now() })
        if (badShare.index === r.index && body.share) body.share.signature = encodeG1(bls.G1.Point.BASE as never)
      },
      get delayMs() {
        return slowReplica.index === r.index ? slowReplica.delayMs : 0
      },
      get stateDelayMs() {
        return lateReplica.index === r.index ? lateReplica.delayMs : 0
      },
      get down() {
        return goesDown.index === r.index && goesDown.down
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

/** `count` invocations of `name` submitted at once (a backlog), their attested results once all are. */
async function backlog(url: string, name: string, count: number): Promise<any[]> {
  const accepted = await Promise.all(
    Array.from({ length: count }, async (_, k) => {
      const res = await fetch(`${url}/v1/functions/${name}/invoke?mode=async`, { method: 'POST', body: `{"name":"b${k}"}` })
      expect(res.status).toBe(202)
      return (await res.json()) as { resultUrl: string }
    }),
  )
  const results: any[] = []
  for (const { resultUrl } of accepted) {
    let body: any
    for (let k = 0; k < 1200; k++) {
      body = await (await fetch(`${url}${resultUrl}`)).json()
      if (body.state === 'attested') break
      await sleep(50)
    }
    expect(body.state).toBe('attested')
    results.push(body)
  }
  return results
}

/** Wait until every replica applied `name` up to `seq`; their states. */
async function converged(name: string, seq: bigint) {
  const clients = stack.replicas.map((r) => createReplicaClient({ index: r.index, url: r.url, gatewayKey: stack.gatewayKey }))
  for (let k = 0; k < 1200 && (await Promise.all(clients.map((c) => c.state(name)))).some((s) => s?.lastAppliedSeq !== seq); k++) await sleep(50)
  return Promise.all(clients.map((c) => c.state(name)))
}

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

  test('a backlog goes to t replicas in batches; the spare applies it after their answers, in batches, and all end at the same seq and root', async () => {
    // batchTargetMs: a batch is never overdue here, however loaded the machine (the spare would then help).
    const { gateway, url } = await startGateway(stack, urls, undefined, { batchTargetMs: 60_000 })
    const name = 'hello-backlog'
    const started = performance.now()
    try {
      expect((await deploy(url, await helloArtifact(name))).status).toBe(201)
      const results = await backlog(url, name, 120)
      for (const body of results) expect((await verifyResult(body.result, stack.network)).ok).toBe(true)
      const states = await converged(name, 120n)
      expect(states.map((s) => s?.lastAppliedSeq)).toEqual([120n, 120n, 120n, 120n])
      expect(new Set(states.map((s) => s?.stateRoot)).size).toBe(1)
      // Per seq: the replica it was sent to last got it only once the other three had answered it.
      const sends = batchEvents.filter((b) => b.functionId === name)
      const answers = batchAnswers.filter((a) => a.at >= started)
      let sparedInBatches = 0
      for (let seq = 1; seq <= 120; seq++) {
        const s = String(seq)
        const firstSend = new Map<number, { at: number; batch: boolean }>()
        const sent = [
          ...sends.filter((b) => b.seqs.includes(s)).map((b) => ({ replica: b.replica, at: b.at, batch: true })),
          ...events.filter((e) => e.functionId === name && e.kind === 'request' && e.seq === s).map((e) => ({ replica: e.replica, at: e.at, batch: false })),
        ].sort((a, b) => a.at - b.at)
        for (const x of sent) if (!firstSend.has(x.replica)) firstSend.set(x.replica, x)
        expect([...firstSend.keys()].sort()).toEqual([1, 2, 3, 4])
        const [spare, last] = [...firstSend].at(-1)!
        if (!last.batch) continue
        sparedInBatches++
        const answeredBefore = new Set(answers.filter((a) => a.replica !== spare && a.seqs.includes(s) && a.at <= last.at).map((a) => a.replica))
        expect(answeredBefore.size).toBeGreaterThanOrEqual(3)
      }
      // Most of them (a seq that was alone in the log when a loop reached it goes one by one, hedged as above).
      expect(sparedInBatches).toBeGreaterThanOrEqual(60)
      expect(sends.some((b) => b.seqs.length > 1)).toBe(true)
    } finally {
      await gateway.close()
    }
  })

  test('a first-wave replica that goes down in a backlog: the spare takes its place, nothing waits for it, and it catches up once back', async () => {
    // Replica 4 starts late, so it is the spare; replica 1 is gone from its first batch on.
    lateReplica.index = 4
    lateReplica.delayMs = 800
    goesDown.index = 1
    goesDown.down = false
    const { gateway, url } = await startGateway(stack, urls, undefined, { batchTargetMs: 60_000 })
    const name = 'hello-backlog-down'
    try {
      expect((await deploy(url, await helloArtifact(name))).status).toBe(201)
      const results = await backlog(url, name, 80)
      expect(goesDown.down).toBe(true)
      // Replica 1 answered what came before its first batch (single invocations, before the backlog built up).
      const goneFrom = BigInt(batchEvents.find((b) => b.functionId === name && b.replica === 1)!.seqs[0]!)
      for (const body of results) {
        expect((await verifyResult(body.result, stack.network)).ok).toBe(true)
        if (BigInt(body.result.fields.seq) >= goneFrom) expect(body.result.signers).not.toContain(1)
      }
      expect(batchEvents.some((b) => b.functionId === name && b.replica === 4 && b.seqs.length > 1)).toBe(true)
      goesDown.down = false
      goesDown.index = 0
      const states = await converged(name, 80n)
      expect(states.map((s) => s?.lastAppliedSeq)).toEqual([80n, 80n, 80n, 80n])
      expect(new Set(states.map((s) => s?.stateRoot)).size).toBe(1)
    } finally {
      goesDown.index = 0
      goesDown.down = false
      lateReplica.index = 0
      await gateway.close()
    }
  })

  test('a spare further behind than spareMaxLag applies settled batches without waiting for the backlog to end', async () => {
    // Batches of 4 (the cap does not grow), a spare allowed 16 seqs behind, a backlog of 200.
    const batching = { maxBatch: 4, maxBatchBacklog: 4, batchTargetMs: 60_000 }
    const { gateway, url } = await startGateway(stack, urls, undefined, batching, { spareMaxLag: 16 })
    const name = 'hello-backlog-lag'
    const started = performance.now()
    try {
      expect((await deploy(url, await helloArtifact(name))).status).toBe(201)
      await backlog(url, name, 200)
      const states = await converged(name, 200n)
      expect(states.map((s) => s?.lastAppliedSeq)).toEqual([200n, 200n, 200n, 200n])
      // The spare (the replica first sent a batch last) started before the first wave was through its
      // batches (the backlog's tail may go one by one: a lone pending invocation is not batched).
      const firstSent = new Map<number, number>()
      for (const b of batchEvents) if (b.functionId === name && !firstSent.has(b.replica)) firstSent.set(b.replica, b.at)
      const [spare, spareStart] = [...firstSent].sort((a, b) => a[1] - b[1]).at(-1)!
      const firstWaveAnswers = batchAnswers.filter((a) => a.at >= started && a.replica !== spare)
      expect(firstWaveAnswers.length).toBeGreaterThanOrEqual(30)
      expect(spareStart).toBeLessThan(Math.max(...firstWaveAnswers.map((a) => a.at)))
    } finally {
      await gateway.close()
    }
  })
})
