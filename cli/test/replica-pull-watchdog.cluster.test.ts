// Cluster mode's watchdog path (issue 19): a replica that pulls the log and hits its wall-clock
// watchdog publishes a WATCHDOG refusal instead of a share, waits until the log marks the invocation
// aborted (a gateway records that; here the test does, as gateway), then applies it again, aborted,
// and publishes a share of the fixed abort result. Every replica ends with the same digest. Two
// replicas in this process with a short watchdog, the machine's NATS under a random prefix.
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { jetstreamManager } from '@nats-io/jetstream'
import { createJetStreamLog, jetStreamLogStreams, type JetStreamLog, type ShareMessage, subjectsFor } from '@nexus/gateway/jetstream'
import { dealerKeygen } from '@nexus/protocol/attest'
import { buildHandler, createReplica, type Replica } from '@nexus/runtime'
import { toHex, zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type ReplicaNode, startReplicaNode } from '../src/cluster/replica-node.ts'

const NATS_URL = process.env.NATS_URL
if (!NATS_URL) console.warn('cli/test/replica-pull-watchdog.cluster.test.ts skipped: NATS_URL is not set (e.g. NATS_URL=nats://127.0.0.1:4222)')

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const prefix = `wdpull${randomBytes(4).toString('hex')}`
const subjects = subjectsFor(prefix)
const FN = 'slow'
const SLOW_FUEL = 1_000_000_000 // far past the watchdog below on any machine
const keys = dealerKeygen({ t: 2, n: 2 })
let root: string
let gateway: JetStreamLog
const running: { node: ReplicaNode; replica: Replica }[] = []

/** What replica `replica` last published for `seq` (the share stream keeps the newest per subject). */
async function published(seq: bigint, replica: number): Promise<ShareMessage | undefined> {
  const jsm = await jetstreamManager(gateway.nc)
  const m = await jsm.streams.getMessage(subjects.streams.shares, { last_by_subj: subjects.share(FN, seq, replica) }).catch(() => null)
  return m ? (JSON.parse(m.string()) as ShareMessage) : undefined
}

describe.skipIf(!NATS_URL)('cluster-mode replicas and the watchdog', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'nexus-pull-watchdog-'))
    gateway = await createJetStreamLog({ servers: NATS_URL!, prefix })
    const slow = await buildHandler(join(repoRoot, 'runtime/test/fixtures/slow-handler.ts'), { name: FN, limits: { fuel: SLOW_FUEL } })
    await gateway.log.putArtifact(slow.manifest.codeHash, slow.manifest as unknown as Record<string, unknown>, Buffer.from(slow.component).toString('base64'))
    await gateway.log.deployFunction(FN, slow.manifest.codeHash)
    for (const index of [1, 2]) {
      const replica = await createReplica({
        index,
        cacheDir: join(root, 'cache'),
        shareKey: keys.shares[index - 1],
        chainId: 31337n,
        verifier: zeroAddress,
        watchdogMs: 2000,
      })
      running.push({ replica, node: await startReplicaNode({ replica, servers: NATS_URL!, prefix, abortPollMs: 100 }) })
    }
  }, 180_000)

  afterAll(async () => {
    for (const { node, replica } of running) await node.stop().then(() => replica.close())
    if (gateway) {
      const jsm = await jetstreamManager(gateway.nc)
      for (const stream of jetStreamLogStreams(prefix)) await jsm.streams.delete(stream).catch(() => {})
      await gateway.close()
    }
    if (root) await rm(root, { recursive: true, force: true })
  })

  test('a watchdog is refused, then applied as an abort once the log records it; the seq after runs normally', async () => {
    const { invocation } = await gateway.log.append({
      functionId: FN,
      input: toHex(JSON.stringify({ op: 'slow-spin', n: 1e15 })),
      trigger: 'http',
      requestHash: 'a',
    })
    for (const replica of [1, 2])
      await expect.poll(async () => (await published(invocation.seq, replica))?.kind, { timeout: 120_000, interval: 200 }).toBe('refused')
    expect(await published(invocation.seq, 1)).toMatchObject({ code: 'WATCHDOG' })
    // Not applied while the log does not say aborted: nothing but the refusal.
    expect((await running[0]!.replica.state(FN)).lastAppliedSeq).toBe(0n)

    await gateway.log.recordAbort(invocation.id, 'watchdog')
    const digests = new Set<string>()
    for (const replica of [1, 2]) {
      await expect.poll(async () => (await published(invocation.seq, replica))?.kind, { timeout: 60_000, interval: 200 }).toBe('result')
      const share = (await published(invocation.seq, replica)) as Extract<ShareMessage, { kind: 'result' }>
      expect(Buffer.from(share.result.output.slice(2), 'hex').toString()).toBe('aborted: the invocation exceeded the wall-clock watchdog')
      expect(share.result.fields.fuelUsed).toBe(String(SLOW_FUEL))
      digests.add(share.result.digest)
    }
    expect(digests.size).toBe(1)

    const next = await gateway.log.append({ functionId: FN, input: toHex(JSON.stringify({ op: 'echo' })), trigger: 'http', requestHash: 'b' })
    for (const replica of [1, 2])
      await expect.poll(async () => (await published(next.invocation.seq, replica))?.kind, { timeout: 60_000, interval: 200 }).toBe('result')
  }, 300_000)
})
