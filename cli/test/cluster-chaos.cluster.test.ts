// Issue 19's chaos run: a 3-node JetStream cluster with authenticated roles, 2 gateways and 4
// replicas (t = 3), each its own process (`nexus gateway --nats`, `nexus replica --nats`). 1,000
// invocations of the hello counter are spread over both gateways while, in turn, one NATS server is
// SIGKILLed and restarted, one gateway is SIGKILLed (and later started again), one replica is
// SIGKILLed and restarted, and one replica is cut off (SIGSTOP) and let back (SIGCONT). Then: every
// acknowledged invocation has exactly one attested result that verifyResult accepts, the seqs are
// 1..N with none lost or duplicated, the counter equals the seq (each applied exactly once, in
// order), and all four replicas signed the same digest for the last seq (their states converged).
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { jetstreamManager } from '@nats-io/jetstream'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createClusterAuth, createJetStreamLog, createShareInbox, renderAuthorization, subjectsFor } from '@nexus/gateway/jetstream'
import { type Network, verifyResult } from '@nexus/protocol/attest'
import { buildHandler } from '@nexus/runtime'
import { type Cluster, startCluster } from '@nexus/testkit/nats-cluster'
import { ensureKeys, repoRoot } from '../src/dev/index.ts'
import { type ClusterGatewayProcess, type ClusterProcess, startClusterGateway, startClusterReplica } from '../src/cluster/processes.ts'

const N = Number(process.env.NEXUS_CHAOS_INVOCATIONS ?? 1000)
const API_KEY = 'chaos-deploy-key'
const prefix = `chaos${Math.floor(Math.random() * 1e9).toString(36)}`
const auth = createClusterAuth({ gateways: 2, replicas: 4 })
const t0 = performance.now()
const stamp = () => `${((performance.now() - t0) / 1000).toFixed(1)}s`
const debug = process.env.NEXUS_DEBUG ? (name: string) => (line: string) => console.error(`${stamp()} [${name}] ${line}`) : () => undefined

let dir: string
let cluster: Cluster
let network: Network
const gateways: (ClusterGatewayProcess | undefined)[] = []
const replicas: (ClusterProcess | undefined)[] = []

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any })
const credentialsFile = (name: string) => join(dir, 'credentials', `${name}.json`)

const startGateway = (k: number) =>
  startClusterGateway({
    index: k,
    servers: cluster.urls,
    credentialsFile: credentialsFile(`gateway-${k}`),
    prefix,
    dataDir: join(dir, `gateway-${k}`),
    networkFile: join(dir, 'keys', 'network.json'),
    apiKeyFile: join(dir, 'api-keys'),
    streamReplicas: 3,
    leader: k === 1,
    onLog: debug(`gateway-${k}`),
  })
const startReplica = (i: number) =>
  startClusterReplica({
    index: i,
    servers: cluster.urls,
    credentialsFile: credentialsFile(`replica-${i}`),
    prefix,
    dataDir: join(dir, `replica-${i}`),
    keyFile: join(dir, 'keys', `replica-${i}.key.json`),
    onLog: debug(`replica-${i}`),
  })

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nexus-chaos-'))
  await writeFile(join(dir, 'api-keys'), `${API_KEY}\n`, { mode: 0o600 })
  await mkdir(join(dir, 'credentials'), { mode: 0o700 })
  for (const c of auth.credentials) {
    await writeFile(credentialsFile(c.name), JSON.stringify(c), { mode: 0o600 })
    await chmod(credentialsFile(c.name), 0o600)
  }
  ;({ network } = await ensureKeys(join(dir, 'keys'), { t: 3, n: 4 }))
  cluster = await startCluster(3, '/usr/sbin/nats-server', { config: renderAuthorization(auth.users, prefix) })
  // The first gateway creates the streams (3 copies each); the others and the replicas find them.
  gateways[1] = await startGateway(1)
  const [g2, ...rs] = await Promise.all([startGateway(2), ...[1, 2, 3, 4].map(startReplica)])
  gateways[2] = g2
  rs.forEach((r, k) => (replicas[k + 1] = r))
}, 600_000)

afterAll(async () => {
  await Promise.all([...gateways, ...replicas].map((p) => p?.kill()))
  await cluster?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

test(`${N} invocations over 2 gateways through a lost NATS server, a killed gateway, a killed and a cut-off replica`, async () => {
  const artifact = await buildHandler(join(repoRoot, 'examples/hello/handler.ts'), { name: 'hello' })
  const deployed = await fetch(`${gateways[1]!.url}/v1/functions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ manifest: artifact.manifest, component: Buffer.from(artifact.component).toString('base64') }),
  })
  expect(deployed.status).toBe(201)

  // Chaos, each step once the acknowledged count passes its mark.
  const chaos: [number, string, () => Promise<void>][] = [
    [
      Math.floor(N * 0.15),
      'NATS server n0 killed and restarted',
      async () => {
        const node = cluster.byName('n0')
        await cluster.kill(node)
        await sleep(3000)
        await cluster.start(node)
      },
    ],
    [
      Math.floor(N * 0.35),
      'gateway 2 killed',
      async () => {
        await gateways[2]!.kill()
        gateways[2] = undefined
      },
    ],
    [
      Math.floor(N * 0.55),
      'replica 2 killed and restarted',
      async () => {
        await replicas[2]!.kill()
        await sleep(2000)
        replicas[2] = await startReplica(2)
      },
    ],
    [
      Math.floor(N * 0.75),
      'replica 3 cut off and let back',
      async () => {
        replicas[3]!.child.kill('SIGSTOP')
        await sleep(5000)
        replicas[3]!.child.kill('SIGCONT')
      },
    ],
    [
      Math.floor(N * 0.85),
      'gateway 2 started again',
      async () => {
        gateways[2] = await startGateway(2)
      },
    ],
  ]
  const happened: Promise<void>[] = []
  const acked = new Map<number, string>()
  let next = 0
  const worker = async (w: number) => {
    while (next < N) {
      const k = next++
      // Retried with the same Idempotency-Key on whichever gateway is up: one invocation per k.
      for (let attempt = 0; ; attempt++) {
        const gateway = gateways[1 + ((k + attempt) % 2)] ?? gateways[1]!
        try {
          const res = await json(
            // Synchronous (answered once attested, or pending after 30 s): the run is paced by
            // attestation, so the chaos below lands while invocations are being applied.
            await fetch(`${gateway.url}/v1/functions/hello/invoke?timeoutMs=30000`, {
              method: 'POST',
              body: JSON.stringify({ name: `c${k}` }),
              headers: { 'content-type': 'application/json', 'idempotency-key': `chaos-${k}` },
              signal: AbortSignal.timeout(60_000),
            }),
          )
          if (res.status !== 200 && res.status !== 202) throw new Error(`HTTP ${res.status} ${JSON.stringify(res.body)}`)
          acked.set(k, res.body.id)
          break
        } catch (err) {
          if (attempt > 40) throw new Error(`worker ${w}: invocation ${k} never acknowledged`, { cause: err })
          await sleep(250)
        }
      }
      while (chaos.length && acked.size >= chaos[0]![0]) {
        const [, what, act] = chaos.shift()!
        if (process.env.NEXUS_DEBUG) console.error(`${stamp()} chaos at ${acked.size}: ${what}`)
        happened.push(act())
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)))
  await Promise.all(happened)
  for (const [, , act] of chaos.splice(0)) await act() // marks not reached (a small N)
  expect(acked.size).toBe(N)
  const ids = new Set(acked.values())
  expect(ids.size).toBe(N)

  // Every acknowledged invocation attested, read on both gateways' shared log.
  const url = gateways[1]!.url
  const byId = new Map<string, any>()
  for (let cursor = '0', deadline = Date.now() + 900_000; ; ) {
    const page = await json(await fetch(`${url}/v1/functions/hello/results?cursor=${cursor}&limit=200`))
    const attested = page.body.items.filter((item: any) => item.state === 'attested')
    for (const item of attested) byId.set(item.id, item)
    if (attested.length < page.body.items.length || (!page.body.nextCursor && byId.size < N)) {
      if (Date.now() > deadline) break
      await sleep(1000)
      continue
    }
    if (!page.body.nextCursor) break
    cursor = page.body.nextCursor
  }
  expect(byId.size).toBe(N)
  expect(new Set(byId.keys())).toEqual(ids)
  const seqs = [...byId.values()].map((item) => Number(item.seq)).sort((a, b) => a - b)
  expect(seqs).toEqual(Array.from({ length: N }, (_, k) => k + 1))
  for (const item of byId.values()) {
    expect(item.output.count).toBe(Number(item.seq)) // applied once each, in seq order
    expect((await verifyResult(item.result, network)).ok).toBe(true)
  }
  // Gateway 2 was killed and restarted on its old port: a keep-alive connection pooled before the kill
  // can be handed out once more and fail ("other side closed"); a second request opens a new one.
  const resultOnGateway2 = () => fetch(`${gateways[2]!.url}/v1/results/${acked.get(N - 1)}`)
  const other = await json(await resultOnGateway2().catch(resultOnGateway2))
  expect(other.body.state).toBe('attested')

  // All four replicas reach the last seq and sign the same digest for it (the same state).
  const reader = await createJetStreamLog({ servers: cluster.urls, credentials: auth.credentials.find((c) => c.name === 'gateway-1'), prefix, replicas: 3 })
  try {
    const inbox = createShareInbox({ nc: reader.nc, jsm: await jetstreamManager(reader.nc), subjects: subjectsFor(prefix) })
    const answers = await Promise.all([1, 2, 3, 4].map((i) => inbox.wait('hello', BigInt(N), i, 600_000)))
    inbox.close()
    const digests = answers.map((a) => (a?.kind === 'result' ? a.result.digest : `missing from replica`))
    expect(new Set(digests).size).toBe(1)
    expect(digests[0]).toMatch(/^0x[0-9a-f]{64}$/)
  } finally {
    await reader.close()
  }
}, 1_800_000)
