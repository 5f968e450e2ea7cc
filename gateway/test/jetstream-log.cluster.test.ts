// The JetStream log on a real 3-node cluster with 3 replicas per stream (issue 19): two gateways
// (own connections) append to one function while the node leading the log stream is SIGKILLed and
// restarted; afterwards every acknowledged append is in the log with the seq it was answered with,
// and the seqs run 1..n without a gap or a double. With two of three nodes down an append is not
// acknowledged (no quorum stores it) until a second node is back.
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { Appended } from '../src/log/append-many.ts'
import { createJetStreamLog, type JetStreamLog } from '../src/log/jetstream/index.ts'
import { subjectsFor } from '../src/log/jetstream/subjects.ts'
import { type Cluster, startCluster } from '@nexus/testkit/nats-cluster'

const H = `0x${'c4'.repeat(32)}` as const
const prefix = 'cluster'
let cluster: Cluster
const opened: JetStreamLog[] = []

/** A gateway's log: its own connection to the cluster, failing over quickly to a live node. */
async function gateway(servers: string[]): Promise<JetStreamLog> {
  const nc = await connect({ servers, reconnectTimeWait: 200, maxReconnectAttempts: -1, timeout: 2000 })
  for (let attempt = 0; ; attempt++) {
    try {
      const log = await createJetStreamLog({ nc, prefix, replicas: 3 })
      opened.push(log)
      return { ...log, close: () => nc.close() }
    } catch (err) {
      if (attempt > 60) throw err // the cluster elects its JetStream leader in a few seconds
      await new Promise((r) => setTimeout(r, 500))
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

beforeAll(async () => {
  cluster = await startCluster(3)
}, 60_000)

afterAll(async () => {
  for (const log of opened) await log.nc.close().catch(() => {})
  await cluster?.stop()
})

test('acknowledged appends survive the loss of the log stream leader; seqs stay gap-free across two gateways', async () => {
  const a = await gateway(cluster.urls)
  const b = await gateway([...cluster.urls].reverse())
  const jsm = await jetstreamManager(a.nc)
  const info = await jsm.streams.info(subjectsFor(prefix).streams.log)
  expect(info.config.num_replicas).toBe(3)
  await a.log.putArtifact(H, { name: 'f' }, 'AA==')
  await a.log.deployFunction('f', H)

  const acked: Appended[] = []
  const failures: unknown[] = []
  let stop = false
  /** `keyed` writers send the same keys from both gateways at once: each key must be written once. */
  const writer = async (log: JetStreamLog['log'], name: string, keyed: boolean) => {
    for (let k = 0; !stop; k++) {
      const request = keyed ? { requestHash: `key-${k}`, idempotencyKey: `key-${k}` } : { requestHash: `${name}-${k}` }
      try {
        acked.push(await log.append({ functionId: 'f', input: '0x01', trigger: 'http', ...request }))
      } catch (err) {
        failures.push(err)
      }
    }
  }
  const writers = [writer(a.log, 'a1', false), writer(a.log, 'a2', true), writer(b.log, 'b1', false), writer(b.log, 'b2', true)]
  await sleep(1500)
  const leader = (await jsm.streams.info(subjectsFor(prefix).streams.log)).cluster?.leader
  expect(leader).toBeDefined()
  const before = acked.length
  await cluster.kill(cluster.byName(leader!))
  // The two remaining nodes elect new stream leaders (a few seconds) and go on acknowledging.
  for (let t = 0; t < 250 && acked.length < before + 20; t++) await sleep(100)
  const duringOutage = acked.length - before
  await cluster.start(cluster.byName(leader!))
  await sleep(2000)
  stop = true
  await Promise.all(writers)

  expect(failures).toEqual([])
  expect(duringOutage).toBeGreaterThanOrEqual(10) // acknowledged while the old leader was down
  const distinct = new Map(acked.map((x) => [x.invocation.id, x.invocation]))
  const n = distinct.size
  expect(new Set([...distinct.values()].map((x) => x.seq)).size).toBe(n)
  for (const x of acked) expect(x.invocation).toEqual(distinct.get(x.invocation.id)) // one key, one answer
  // A third gateway, connected after all this, reads exactly what was acknowledged.
  const reader = await gateway(cluster.urls)
  const rows = await reader.log.range('f', 0n, n + 10)
  expect(rows.filter((r) => !distinct.has(r.id)).map((r) => `${r.seq}:${r.requestHash}`)).toEqual([]) // nothing written twice
  expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: n }, (_, k) => BigInt(k + 1)))
  const keys = rows.flatMap((r) => (r.idempotencyKey === null ? [] : [r.idempotencyKey]))
  expect(new Set(keys).size).toBe(keys.length)
  for (const [id, invocation] of distinct) expect(rows.find((r) => r.id === id)).toEqual(invocation)
  expect((await reader.log.getFunction('f'))!.lastSeq).toBe(BigInt(n))

  // Both gateways settle the same invocations at once (a result, an abort, disagreements): every
  // change lands, none undoes another's, whatever the servers let through (state.ts).
  const settled = rows.slice(0, 20)
  const result = (seq: bigint) => ({ digest: `0x${seq.toString(16).padStart(64, '0')}` }) as never
  await Promise.all(
    settled.flatMap((r) => [
      a.log.recordResult(r.id, result(r.seq), [{ replica: 1, reason: 'a' }]),
      b.log.recordAbort(r.id, 'watchdog'),
      b.log.recordResult(r.id, result(r.seq), [{ replica: 1, reason: 'a' }]),
    ]),
  )
  for (const r of settled) expect(await reader.log.getInvocation(r.id)).toMatchObject({ state: 'attested', result: result(r.seq) })
  expect(await reader.log.firstPendingSeq('f')).toBe(21n)
}, 60_000)

test('with two of three nodes down nothing is acknowledged; a second node back, the append completes', async () => {
  const [n0, n1, n2] = cluster.nodes as [Cluster['nodes'][0], Cluster['nodes'][0], Cluster['nodes'][0]]
  const log = await gateway([n2.url])
  const lastSeq = (await log.log.getFunction('f'))!.lastSeq
  await cluster.kill(n0)
  await cluster.kill(n1)
  let answered: Appended | undefined
  const pending = log.log.append({ functionId: 'f', input: '0x02', trigger: 'http', requestHash: 'no-quorum' }).then((x) => (answered = x))
  await sleep(3000)
  expect(answered).toBeUndefined() // one node of three cannot store it durably: no acknowledgement
  await cluster.start(n0)
  await pending
  expect(answered!.invocation.seq).toBe(lastSeq + 1n)
  expect(await log.log.getInvocation(answered!.invocation.id)).toEqual(answered!.invocation)
  await cluster.start(n1)
}, 60_000)
