// Cluster mode (issue 19): replicas pull the ordered log from NATS JetStream themselves and publish
// a signed share per invocation; nobody pushes to them. One real nats-server with the generated
// authorization block (1 gateway, 4 replicas). The test plays the gateway: it appends invocations
// of a real component (examples/hello) to the JetStream log as gateway-1 and reads the shares with
// the gateway's inbox. Replicas 1–3 run in this process (startReplicaNode), replica 4 is the real
// `nexus replica --nats` process. Any 3 of the 4 shares combine into a result verifyResult accepts.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { toHex, zeroAddress } from 'viem'
import { afterAll, beforeAll, expect, test } from 'vitest'
import {
  createClusterAuth,
  createJetStreamLog,
  createShareInbox,
  createSharePublisher,
  type JetStreamLog,
  type NatsCredentials,
  natsLogin,
  renderAuthorization,
  type ShareAnswer,
  type ShareInbox,
  subjectsFor,
} from '@nexus/gateway/jetstream'
import type { ReplicaResult } from '@nexus/protocol'
import { combineShares, createAttestedResult, dealerKeygen, verifyResult } from '@nexus/protocol/attest'
import { buildHandler, createReplica, type Replica } from '@nexus/runtime'
import { type Cluster, startCluster } from '@nexus/testkit/nats-cluster'
import { type ReplicaNode, startReplicaNode } from '../src/cluster/replica-node.ts'

const cli = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const repoRoot = resolve(cli, '..')
const prefix = 'pull'
const subjects = subjectsFor(prefix)
const FN = 'hello'
const keys = dealerKeygen({ t: 3, n: 4 })
keys.network.chainId = '31337'
keys.network.verifier = zeroAddress
const auth = createClusterAuth({ gateways: 1, replicas: 4 })
const creds = (name: string): NatsCredentials => auth.credentials.find((c) => c.name === name)!

let root: string
let cluster: Cluster
let gateway: JetStreamLog
let inbox: ShareInbox
const nodes = new Map<number, { node: ReplicaNode; replica: Replica }>()
let processReplica: { child: ChildProcess; output: () => string; exit: Promise<number | null> } | undefined
const opened: NatsConnection[] = []
let requests = 0
let built: Awaited<ReturnType<typeof buildHandler>>

async function startNode(index: number): Promise<void> {
  const replica = await createReplica({
    index,
    dataDir: join(root, `replica-${index}`, 'db'),
    cacheDir: join(root, 'cache'),
    shareKey: keys.shares[index - 1],
    chainId: 31337n,
    verifier: zeroAddress,
  })
  const node = await startReplicaNode({ replica, servers: cluster.urls, credentials: creds(`replica-${index}`), prefix, scanMs: 1000 })
  nodes.set(index, { node, replica })
}

async function stopNode(index: number): Promise<void> {
  const entry = nodes.get(index)
  nodes.delete(index)
  await entry?.node.stop()
  await entry?.replica.close()
}

/** Replica 4 as its own process: the real `nexus replica --nats` command. */
async function startProcessReplica(): Promise<void> {
  const dir = join(root, 'replica-4')
  const keyFile = join(root, 'replica-4.key.json')
  const credentialsFile = join(root, 'replica-4.credentials.json')
  await writeFile(keyFile, JSON.stringify(keys.shares[3]), { mode: 0o600 })
  await writeFile(credentialsFile, JSON.stringify(creds('replica-4')), { mode: 0o600 })
  const args = [join(cli, 'bin/nexus.js'), 'replica', '--nats', cluster.urls.join(','), '--credentials', credentialsFile, '--prefix', prefix]
  args.push('--index', '4', '--key', keyFile, '--data', dir, '--signer', 'noble', '--port', '0')
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  child.stdout!.on('data', (d: Buffer) => void (text += d.toString()))
  child.stderr!.on('data', (d: Buffer) => void (text += d.toString()))
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)))
  processReplica = { child, output: () => text, exit }
  let ready: RegExpExecArray | null = null
  for (let waited = 0; !(ready = /\{"event":"ready","index":4,"port":(\d+)\}/.exec(text)); waited += 100) {
    if (child.exitCode !== null || waited > 120_000) throw new Error(`nexus replica --nats did not get ready:\n${text}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  // --port serves health and metrics only: the execute API is not there.
  const url = `http://127.0.0.1:${ready[1]}`
  expect(await (await fetch(`${url}/health`)).json()).toEqual({ ok: true, index: 4 })
  expect((await fetch(`${url}/v1/execute`, { method: 'POST', body: '{}' })).status).toBe(404)
}

async function append(count: number): Promise<bigint[]> {
  const seqs: bigint[] = []
  for (let k = 0; k < count; k++) {
    const body = JSON.stringify({ name: `n${requests}`, by: 1 })
    const { invocation } = await gateway.log.append({ functionId: FN, input: toHex(body), trigger: 'http', requestHash: `r${requests++}` })
    seqs.push(invocation.seq)
  }
  return seqs
}

/** Replica `replica`'s share for `seq` (waiting generously: the replicas share 2 cores with the server). */
async function shareOf(seq: bigint, replica: number): Promise<ReplicaResult> {
  const answer: ShareAnswer | undefined = await inbox.wait(FN, seq, replica, 120_000)
  expect(answer, `replica ${replica} published no share for seq ${seq}`).toBeDefined()
  if (answer!.kind !== 'result') throw new Error(`replica ${replica} refused seq ${seq}: ${answer!.code} ${answer!.message}`)
  return answer!.result
}

/** The shares of `replicas` for `seq` agree, and any 3 of them combine into a verifying result. */
async function expectAttested(seq: bigint, replicas: number[]): Promise<void> {
  const results = await Promise.all(replicas.map((r) => shareOf(seq, r)))
  const digest = results[0]!.digest
  for (const r of results) expect(r.digest).toBe(digest)
  expect(results[0]!.fields.seq).toBe(seq)
  const signers = replicas.slice(0, 3)
  const partials = results.slice(0, 3).map((r) => r.share!)
  const { signature } = combineShares(digest, partials, keys.network)
  const attested = createAttestedResult({
    fields: results[0]!.fields,
    output: results[0]!.output,
    signature,
    signers,
    groupPublicKey: keys.network.groupPublicKey,
  })
  expect(await verifyResult(attested, keys.network)).toEqual({ ok: true, digest })
  const output = JSON.parse(Buffer.from(results[0]!.output.slice(2), 'hex').toString('utf8')) as { count: number; seq: string }
  expect(output).toMatchObject({ count: Number(seq), seq: String(seq) })
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nexus-replica-pull-'))
  cluster = await startCluster(1, undefined, { config: renderAuthorization(auth.users, prefix), routed: false })
  gateway = await createJetStreamLog({ servers: cluster.urls, credentials: creds('gateway-1'), prefix })
  inbox = createShareInbox({ nc: gateway.nc, jsm: await jetstreamManager(gateway.nc), subjects })
  built = await buildHandler(join(repoRoot, 'examples/hello/handler.ts'), { name: FN })
  const manifest = built.manifest as unknown as Record<string, unknown>
  await gateway.log.putArtifact(built.manifest.codeHash, manifest, Buffer.from(built.component).toString('base64'))
  await gateway.log.deployFunction(FN, built.manifest.codeHash)
}, 180_000)

afterAll(async () => {
  for (const index of [...nodes.keys()]) await stopNode(index).catch(() => {})
  if (processReplica && processReplica.child.exitCode === null) processReplica.child.kill('SIGKILL')
  for (const nc of opened) await nc.close().catch(() => {})
  inbox?.close()
  await gateway?.close()
  await cluster?.stop()
  if (root) await rm(root, { recursive: true, force: true })
})

test('every replica applies every seq and publishes its share; any 3 combine into a verifying result', async () => {
  const before = await append(2) // appended before any replica runs: each catches up from its store
  await Promise.all([startNode(1), startNode(2), startNode(3), startProcessReplica()])
  const after = await append(3) // the consumer wakes the function
  for (const seq of [...before, ...after]) await expectAttested(seq, [1, 2, 3, 4])
  expect((await nodes.get(1)!.replica.state(FN)).lastAppliedSeq).toBe(5n)
}, 300_000)

test('a replica stopped and restarted catches up from its own store and publishes the seqs it missed', async () => {
  await stopNode(2)
  const missed = await append(2)
  for (const seq of missed) await expectAttested(seq, [1, 3, 4])
  await startNode(2)
  for (const seq of missed) await expectAttested(seq, [2, 3, 4])
  expect((await nodes.get(2)!.replica.state(FN)).lastAppliedSeq).toBe(missed.at(-1))
}, 300_000)

test('a replica that applied a seq with other input refuses it with SEQ_MISMATCH and stops that function only', async () => {
  // While replica 2 is down, its store applies seq 1 of `other` with an input the log will not hold.
  await stopNode(2)
  const replica = await createReplica({
    index: 2,
    dataDir: join(root, 'replica-2', 'db'),
    cacheDir: join(root, 'cache'),
    chainId: 31337n,
    verifier: zeroAddress,
  })
  await replica.deploy({ component: built.component, manifest: built.manifest })
  await replica.bindVersions('other', [{ fromSeq: 1n, codeHash: built.manifest.codeHash }])
  const forked = { functionId: 'other', codeHash: built.manifest.codeHash, seq: 1n, input: new TextEncoder().encode('{"name":"fork"}') }
  await replica.execute({ ...forked, trigger: 'http', timestampMs: 1n })
  await replica.close()
  await gateway.log.deployFunction('other', built.manifest.codeHash)
  await gateway.log.append({ functionId: 'other', input: toHex('{"name":"log"}'), trigger: 'http', requestHash: 'other-1' })
  await startNode(2)
  const refusal = await inbox.wait('other', 1n, 2, 120_000)
  expect(refusal).toMatchObject({ kind: 'refused', code: 'SEQ_MISMATCH' })
  expect(await inbox.wait('other', 1n, 1, 120_000)).toMatchObject({ kind: 'result' }) // the others apply it
  // The function the replica agrees with the log on goes on.
  const [seq] = await append(1)
  await expectAttested(seq!, [1, 2, 3, 4])
}, 300_000)

test('a deploy is bound (and its code compiled) when its message arrives, before any invocation', async () => {
  await gateway.log.deployFunction('deployed-only', built.manifest.codeHash)
  const node = nodes.get(1)!
  for (let t = 0; t < 600 && (await node.replica.versions('deployed-only')).length === 0; t++) await new Promise((r) => setTimeout(r, 100))
  expect(await node.replica.versions('deployed-only')).toEqual([{ fromSeq: 1n, codeHash: built.manifest.codeHash }])
  expect(await node.replica.hasCode(built.manifest.codeHash)).toBe(true)
}, 120_000)

test("a replica cannot publish another replica's shares, nor use its consumer", async () => {
  const jsm = await jetstreamManager(gateway.nc)
  const stored = async (seq: bigint) => (await jsm.streams.getMessage(subjects.streams.shares, { last_by_subj: subjects.share(FN, seq, 4) }))?.seq
  const before = await stored(1n)
  expect(before).toBeDefined()

  // Replica 1's login claiming index 4: its share is refused by the server, nothing is stored.
  const nc = await connect({ servers: cluster.urls, ...natsLogin(creds('replica-1')) })
  opened.push(nc)
  const impostor = createSharePublisher({ nc, js: jetstream(nc), subjects, index: 4 })
  await expect(impostor.refusal(FN, 1n, 'SEQ_MISMATCH', 'forged by replica 1')).rejects.toThrow(/permissions violation/i)

  // A whole node with another replica's credentials does not start: replica 4's consumer is not replica 1's.
  const replica = await createReplica({ index: 4, cacheDir: join(root, 'cache'), shareKey: keys.shares[3], chainId: 31337n, verifier: zeroAddress })
  try {
    await expect(startReplicaNode({ replica, servers: cluster.urls, credentials: creds('replica-1'), prefix })).rejects.toThrow(/permissions violation/i)
  } finally {
    await replica.close()
  }
  expect(await stored(1n)).toBe(before)
}, 120_000)

test('nexus replica --nats stops cleanly on SIGTERM', async () => {
  processReplica!.child.kill('SIGTERM')
  expect(await processReplica!.exit, processReplica!.output()).toBe(0)
}, 60_000)
