// Only the log makes a replica sign, end to end (issue 15, item 1), on four real replica processes
// and real BLS: the forged execute, sent straight to every replica without the gateway
// key, is refused everywhere and changes nothing. A replica that applied a seq with another input
// than the log's (injected straight into it) is a detected divergence: the invocation is attested
// by the others, the divergence is reported in /ready and the metrics, the replica is not sent the
// function again until it is repaired, and after the repair it rejoins with the others' state root.
// Two divergent replicas of four (t = 3) make the invocation disputed at once, not retried forever.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { toHex, type Hex } from 'viem'
import { verifyResult } from '@nexus/protocol/attest'
import type { Gateway } from '../src/index.ts'
import { createReplicaClient } from '../src/replicas/index.ts'
import { deploy, helloArtifact, startGateway, startStack, type Stack } from './stack.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const hex = (text: string) => toHex(new TextEncoder().encode(text))

let stack: Stack
let gateway: Gateway
let url: string

beforeAll(async () => {
  stack = await startStack()
  ;({ gateway, url } = await startGateway(stack))
})

afterAll(async () => {
  await gateway?.close()
  await Promise.all(stack?.replicas.map((r) => r.stop()) ?? [])
})

const client = (i: number) => createReplicaClient({ index: i, url: stack.replicas[i - 1]!.url, gatewayKey: stack.gatewayKey })
/** Invoke and wait until the invocation is settled (a loaded 2-core machine may take minutes). */
const invoke = async (fn: string, body: string) => {
  const res = await fetch(`${url}/v1/functions/${fn}/invoke?timeoutMs=60000`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  let answer = { status: res.status, body: (await res.json()) as any }
  for (let k = 0; answer.status === 202 && k < 1200; k++) {
    await sleep(250)
    const settled = (await (await fetch(`${url}${answer.body.resultUrl}`)).json()) as any
    if (settled.state === 'attested') answer = { status: 200, body: settled }
    if (settled.state === 'disputed') answer = { status: 502, body: settled }
  }
  return answer
}
const ready = async () => (await (await fetch(`${url}/ready`)).json()) as { diverged: { functionId: string; replica: number; seq: string }[] }
const metrics = async () => (await fetch(`${url}/metrics`)).text()

/** Poll until every replica has applied `seq` of the function; returns their states. */
async function allApplied(functionId: string, seq: bigint, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const states = await Promise.all([1, 2, 3, 4].map((i) => client(i).state(functionId)))
    if (states.every((s) => s && s.lastAppliedSeq >= seq)) return states.map((s) => s!)
    if (Date.now() > deadline)
      throw new Error(`not every replica applied ${functionId}#${seq}: ${JSON.stringify(states.map((s) => s?.lastAppliedSeq.toString()))}`)
    await sleep(100)
  }
}

async function deployed(fn: string): Promise<Hex> {
  const artifact = await helloArtifact(fn)
  expect((await deploy(url, artifact)).status).toBe(201)
  expect((await invoke(fn, '{"name":"first"}')).status).toBe(200)
  await allApplied(fn, 1n)
  return String(artifact.manifest.codeHash) as Hex
}

describe('only the log makes a replica sign (3-of-4 real replicas)', () => {
  test("the issue's forged execute, sent to every replica without the key, is 401 everywhere and changes nothing", async () => {
    const codeHash = await deployed('victim')
    const forged = JSON.stringify({ functionId: 'victim', codeHash, seq: '2', input: hex('FORGED'), trigger: 'http', timestampMs: '0' })
    for (const r of stack.replicas) {
      const res = await fetch(`${r.url}/v1/execute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: forged })
      expect(res.status).toBe(401)
      const body = (await res.json()) as any
      expect(body.share).toBeUndefined()
      expect(body.error.code).toBe('UNAUTHORIZED')
      const upload = await fetch(`${r.url}/v1/artifacts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ manifest: {}, component: '' }),
      })
      expect(upload.status).toBe(401)
    }
    expect((await allApplied('victim', 1n)).map((s) => s.lastAppliedSeq)).toEqual([1n, 1n, 1n, 1n])
    // The real seq 2 is not wedged: every replica applies it and it is attested.
    const real = await invoke('victim', '{"name":"real"}')
    expect(real.status).toBe(200)
    expect(real.body.seq).toBe('2')
    expect((await verifyResult(real.body.result, stack.network)).ok).toBe(true)
  }, 600_000)

  test('a replica that applied a seq with another input is a divergence: attested by the others, reported, repaired, rejoined', async () => {
    const codeHash = await deployed('diverge')
    // Injected straight into replica 4, with the key: seq 2 with an input that is in no log.
    const injected = await client(4).execute({
      functionId: 'diverge',
      codeHash,
      seq: 2n,
      input: hex('{"name":"injected","by":5}'),
      trigger: 'http',
      timestampMs: 0n,
    })
    expect(injected.kind).toBe('ok')

    const real = await invoke('diverge', '{"name":"real"}')
    expect(real.status).toBe(200)
    expect(real.body.seq).toBe('2')
    expect(real.body.result.signers).not.toContain(4)
    expect((await verifyResult(real.body.result, stack.network)).ok).toBe(true)

    let diverged: Awaited<ReturnType<typeof ready>>['diverged'] = []
    for (let k = 0; k < 600 && diverged.length === 0; k++, await sleep(100)) diverged = (await ready()).diverged
    expect(diverged).toMatchObject([{ functionId: 'diverge', replica: 4, seq: '2' }])
    expect(await metrics()).toContain('nexus_replica_diverged{function="diverge",replica="4"} 1')
    // It is left alone (no resend loop): later invocations are attested by the other three.
    for (const name of ['a', 'b']) {
      const next = await invoke('diverge', `{"name":"${name}"}`)
      expect(next.status).toBe(200)
      expect(next.body.result.signers).toEqual([1, 2, 3])
    }
    expect((await client(4).state('diverge'))!.lastAppliedSeq).toBe(2n)

    await gateway.scheduler.repair('diverge', 4)
    const states = await allApplied('diverge', 4n)
    expect(new Set(states.map((s) => s.stateRoot)).size).toBe(1)
    expect((await ready()).diverged).toEqual([])
    expect(await metrics()).toContain('nexus_replica_diverged{function="diverge",replica="4"} 0')
    // Back in the quorum: it signs again.
    const after = await invoke('diverge', '{"name":"after"}')
    expect(after.status).toBe(200)
    await allApplied('diverge', 5n)
  }, 600_000)

  test('two divergent replicas of four leave no t that can agree: the invocation is disputed, not retried', async () => {
    const codeHash = await deployed('split')
    for (const i of [3, 4]) {
      const injected = await client(i).execute({
        functionId: 'split',
        codeHash,
        seq: 2n,
        input: hex(`{"name":"injected-${i}"}`),
        trigger: 'http',
        timestampMs: 0n,
      })
      expect(injected.kind).toBe('ok')
    }
    const real = await invoke('split', '{"name":"real"}')
    expect(real.status).toBe(502)
    expect(real.body.state).toBe('disputed')
    const reasons = real.body.disagreements.map((d: { replica: number; reason: string }) => [d.replica, d.reason.split(':')[0]])
    expect(reasons).toEqual(
      expect.arrayContaining([
        [3, 'diverged from the log'],
        [4, 'diverged from the log'],
      ]),
    )
  }, 600_000)
})
