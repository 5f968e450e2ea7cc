// Stateless gateways (cluster mode): two gateways share one log on a real authenticated NATS
// JetStream cluster, four in-process replicas pull it and publish their shares (cluster-replicas.ts).
// Every answer verifies against the network key, either gateway serves any result, an invocation
// whose gateway stops right after acknowledging it is attested and recorded by the other, and the
// log holds every invocation once, seqs 1..N with no gap.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { dealerKeygen, verifyResult } from '@nexus/protocol/attest'
import { type Cluster, startCluster } from '@nexus/testkit/nats-cluster'
import { createGateway, type Gateway } from '../src/index.ts'
import { createClusterAuth, createJetStreamLog, type JetStreamLog, renderAuthorization } from '../src/log/jetstream/index.ts'
import { startPullingReplicas, type PullingReplicas } from './cluster-replicas.ts'
import { repoRoot } from '@nexus/cli/dev'
import { helloArtifact } from './stack.ts'

const prefix = 'gwcl'
const auth = createClusterAuth({ gateways: 4, replicas: 4 })
const creds = (name: string) => auth.credentials.find((c) => c.name === name)!
const keys = dealerKeygen({ t: 3, n: 4 })
keys.network.chainId = '31337'
keys.network.verifier = zeroAddress
/** An invocation as the API answers it (only what the test reads). */
type Answered = { id: string; result: Parameters<typeof verifyResult>[0] }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let cluster: Cluster
let reader: JetStreamLog
let replicas: PullingReplicas
let child: ChildProcess | undefined
const gateways: Gateway[] = []
const urls: string[] = []

async function startGateway(k: number) {
  const gateway = await createGateway({
    cluster: { servers: cluster.urls, credentials: creds(`gateway-${k}`), prefix, streamReplicas: 3 },
    network: keys.network,
    apiKeys: ['k'],
    cron: false,
    // Short: the test stops gateway 1 with an invocation it acknowledged still pending.
    stopGraceMs: 200,
    logger: process.env.NEXUS_DEBUG ? (m) => console.error(`[gateway-${k}] ${m}`) : undefined,
  })
  gateways.push(gateway)
  urls.push(`http://127.0.0.1:${await gateway.listen(0)}`)
}

const invoke = (url: string, name: string, async = false) =>
  fetch(`${url}/v1/functions/hello-cluster/invoke?timeoutMs=60000`, {
    method: 'POST',
    headers: async ? { prefer: 'respond-async' } : {},
    body: JSON.stringify({ name }),
  })

/** Poll a result URL until it is attested (or the test's timeout ends it). */
async function attested(url: string, id: string): Promise<Answered> {
  for (;;) {
    const res = await fetch(`${url}/v1/results/${id}`)
    const body = (await res.json()) as Answered
    if (res.status === 200 && body.result) return body
    await sleep(100)
  }
}

beforeAll(async () => {
  cluster = await startCluster(3, undefined, { config: renderAuthorization(auth.users, prefix) })
  await startGateway(1)
  await startGateway(2)
  reader = await createJetStreamLog({ servers: cluster.urls, credentials: creds('gateway-4'), prefix })
  replicas = await startPullingReplicas({
    servers: cluster.urls,
    credentials: auth.credentials,
    prefix,
    log: reader.log,
    network: keys.network,
    shares: keys.shares,
    cacheDir: await mkdtemp(join(tmpdir(), 'nexus-gwcl-')),
    verifier: zeroAddress,
  })
}, 120_000)

afterAll(async () => {
  if (child?.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r))
    child.kill('SIGTERM')
    await exited
  }
  for (const g of gateways) await g.close().catch(() => {})
  await replicas?.close()
  await reader?.close()
  await cluster?.stop()
})

describe('stateless gateways on JetStream', () => {
  const ids: string[] = []

  test('a function deployed on one gateway is invoked on both; every answer verifies; results are served by either', async () => {
    const deployed = await fetch(`${urls[0]}/v1/functions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify(await helloArtifact('hello-cluster')),
    })
    expect(deployed.status).toBe(201)
    // Ready once t replicas' heartbeats arrive (they publish one every 50 ms here).
    const ready = (await (await fetch(`${urls[1]}/ready`)).json()) as { replicas: { healthy: boolean }[] }
    expect(ready.replicas.map((r) => r.healthy)).toEqual([true, true, true, true])
    for (const [k, url] of urls.entries()) {
      const res = await invoke(url, `sync-${k}`)
      const body = (await res.json()) as Answered
      expect(res.status, JSON.stringify(body)).toBe(200)
      expect((await verifyResult(body.result, keys.network)).ok).toBe(true)
      ids.push(body.id)
    }
    // Both gateways extending the function at once: every answer is its own seq (checked at the end).
    const racing = await Promise.all(urls.flatMap((url, k) => [0, 1, 2, 3].map((j) => invoke(url, `race-${k}-${j}`))))
    for (const res of racing) {
      const body = (await res.json()) as Answered
      expect(res.status, JSON.stringify(body)).toBe(200)
      expect((await verifyResult(body.result, keys.network)).ok).toBe(true)
      ids.push(body.id)
    }
    // Async on gateway 2, its result read on gateway 1.
    const accepted = await invoke(urls[1]!, 'async-2', true)
    expect(accepted.status).toBe(202)
    const { id } = (await accepted.json()) as Answered
    ids.push(id)
    const served = await attested(urls[0]!, id)
    expect((await verifyResult(served.result, keys.network)).ok).toBe(true)
    // And gateway 1's sync answer, read on gateway 2.
    const other = await attested(urls[1]!, ids[0]!)
    expect((await verifyResult(other.result, keys.network)).ok).toBe(true)
  }, 120_000)

  test('an invocation acknowledged by a gateway that stops at once is attested and recorded by the other', async () => {
    replicas.pause()
    const accepted = await invoke(urls[0]!, 'orphaned', true)
    expect(accepted.status).toBe(202)
    const { id } = (await accepted.json()) as Answered
    ids.push(id)
    await gateways[0]!.close() // its drain gives up after 200 ms: no share has been published
    expect((await reader.log.getInvocation(id))?.state).toBe('pending')
    replicas.resume()
    const served = await attested(urls[1]!, id)
    expect((await verifyResult(served.result, keys.network)).ok).toBe(true)
    expect((await reader.log.getInvocation(id))?.state).toBe('attested')
  }, 120_000)

  test('`nexus gateway --nats` serves the same log from its own process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nexus-gwcl-process-'))
    await writeFile(join(dir, 'network.json'), JSON.stringify(keys.network))
    await writeFile(join(dir, 'gateway-3.json'), JSON.stringify(creds('gateway-3')), { mode: 0o600 })
    const args = ['--import', 'tsx', join(repoRoot, 'gateway/src/bin.ts'), '--data', join(dir, 'data'), '--network', join(dir, 'network.json')]
    args.push('--nats', cluster.urls.join(','), '--credentials', join(dir, 'gateway-3.json'), '--prefix', prefix, '--stream-replicas', '3', '--port', '0')
    const env = { ...process.env, NEXUS_API_KEYS: 'k' }
    child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', process.env.NEXUS_DEBUG ? 'inherit' : 'ignore'], env })
    const port = await new Promise<number>((resolve, reject) => {
      child!.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)))
      createInterface({ input: child!.stdout! }).on('line', (line) => {
        if (line.startsWith('{"event":"listening"')) resolve(JSON.parse(line).port)
      })
    })
    const url = `http://127.0.0.1:${port}`
    const res = await invoke(url, 'process')
    const body = (await res.json()) as Answered
    expect(res.status, JSON.stringify(body)).toBe(200)
    expect((await verifyResult(body.result, keys.network)).ok).toBe(true)
    ids.push(body.id)
    // It serves what the in-process gateways appended too.
    expect((await verifyResult((await attested(url, ids[0]!)).result, keys.network)).ok).toBe(true)
  }, 120_000)

  test('the log holds every invocation once, seqs 1..N with no gap, all attested', async () => {
    // A synchronous answer comes before its record (docs/gateway.md, "Answer first"): wait for the records.
    for (const id of ids) await attested(urls[1]!, id)
    const rows = await reader.log.range('hello-cluster', 0n, 100)
    expect(rows.map((r) => r.seq)).toEqual(ids.map((_, k) => BigInt(k + 1)))
    expect(new Set(ids).size).toBe(ids.length)
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ids))
    expect(rows.every((r) => r.state === 'attested')).toBe(true)
  }, 60_000)
})
