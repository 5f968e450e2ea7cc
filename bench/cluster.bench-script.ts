// `npm run bench -- cluster`: the cluster mode on this machine. A 3-node JetStream cluster with
// authenticated roles (real nats-server processes), 4 replica processes pulling the log (t = 3), and
// 1 then 2 gateway processes; the embedded stack (one gateway pushing to 4 replicas over HTTP, the
// log on PGlite) runs the same load in the same run as the baseline. Load: synchronous invocations
// of the hello counter, C at a time, spread over the gateways; printed: attested results/s and the
// caller's p50/p99 latency, and each as a ratio to the embedded stack. Everything here shares 2
// cores, so the ratios say what the cluster costs on one machine, not what it gains on many.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { startClusterGateway, startClusterReplica } from '@nexus/cli/cluster'
import { ensureGatewayKey, ensureKeys, repoRoot, startReplicas } from '@nexus/cli/dev'
import { createGateway } from '@nexus/gateway'
import { createClusterAuth, renderAuthorization } from '@nexus/gateway/jetstream'
import { buildHandler } from '@nexus/runtime'
import { startCluster } from '@nexus/testkit/nats-cluster'

const N = Number(process.env.BENCH_CLUSTER_N ?? 400)
const C = Number(process.env.BENCH_CLUSTER_CONCURRENCY ?? 16)
const API_KEY = 'bench-deploy-key'

type Row = { label: string; perSecond: number; p50: number; p99: number }

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!

async function deploy(url: string, functionId: string): Promise<void> {
  const artifact = await buildHandler(join(repoRoot, 'examples/hello/handler.ts'), { name: functionId })
  const res = await fetch(`${url}/v1/functions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ manifest: artifact.manifest, component: Buffer.from(artifact.component).toString('base64') }),
  })
  if (res.status !== 201 && res.status !== 200) throw new Error(`deploy: HTTP ${res.status} ${await res.text()}`)
}

/** N synchronous invocations, C at a time, round-robin over `urls`; a warm-up of C first. */
async function load(label: string, urls: string[], functionId: string): Promise<Row> {
  const invoke = async (k: number) => {
    const t0 = performance.now()
    const res = await fetch(`${urls[k % urls.length]}/v1/functions/${functionId}/invoke?timeoutMs=60000`, {
      method: 'POST',
      body: JSON.stringify({ name: `b${k}` }),
      headers: { 'content-type': 'application/json' },
    })
    const body = (await res.json()) as { state?: string }
    if (res.status !== 200 || body.state !== 'attested') throw new Error(`${label}: invocation ${k} answered HTTP ${res.status} ${JSON.stringify(body)}`)
    return performance.now() - t0
  }
  await Promise.all(Array.from({ length: C }, (_, k) => invoke(k)))
  const latencies: number[] = []
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < N) latencies.push(await invoke(next++))
    }),
  )
  const seconds = (performance.now() - t0) / 1000
  return { label, perSecond: N / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) }
}

async function embedded(root: string): Promise<Row> {
  const keys = join(root, 'embedded-keys')
  const { network } = await ensureKeys(keys, { t: 3, n: 4 })
  const gatewayKey = await ensureGatewayKey(keys)
  const replicas = await startReplicas(join(root, 'embedded'), keys, 4)
  const gateway = await createGateway({ replicas: replicas.map((r) => r.url), gatewayKey, network, apiKeys: [API_KEY] })
  try {
    const url = `http://127.0.0.1:${await gateway.listen(0)}`
    await deploy(url, 'hello')
    return await load('embedded: 1 gateway, HTTP push, PGlite log', [url], 'hello')
  } finally {
    await gateway.close()
    await Promise.all(replicas.map((r) => r.stop()))
  }
}

async function clustered(root: string): Promise<Row[]> {
  const auth = createClusterAuth({ gateways: 2, replicas: 4 })
  const prefix = 'bench'
  await mkdir(join(root, 'credentials'), { mode: 0o700 })
  const credentialsFile = (name: string) => join(root, 'credentials', `${name}.json`)
  for (const c of auth.credentials) await writeFile(credentialsFile(c.name), JSON.stringify(c), { mode: 0o600 })
  const apiKeyFile = join(root, 'api-keys')
  await writeFile(apiKeyFile, `${API_KEY}\n`, { mode: 0o600 })
  await chmod(apiKeyFile, 0o600)
  const keys = join(root, 'cluster-keys')
  await ensureKeys(keys, { t: 3, n: 4 })
  const nats = await startCluster(3, '/usr/sbin/nats-server', { config: renderAuthorization(auth.users, prefix) })
  const common = (name: string) => ({ servers: nats.urls, credentialsFile: credentialsFile(name), prefix, dataDir: join(root, name) })
  const gatewayAt = (k: number) =>
    startClusterGateway({ ...common(`gateway-${k}`), index: k, networkFile: join(keys, 'network.json'), apiKeyFile, streamReplicas: 3, leader: k === 1 })
  const processes = []
  try {
    const first = await gatewayAt(1)
    processes.push(first)
    const replicas = await Promise.all(
      [1, 2, 3, 4].map((i) => startClusterReplica({ ...common(`replica-${i}`), index: i, keyFile: join(keys, `replica-${i}.key.json`) })),
    )
    processes.push(...replicas)
    await deploy(first.url, 'hello-1')
    const one = await load('cluster: 1 gateway, replicas pull, JetStream log (3 copies)', [first.url], 'hello-1')
    const second = await gatewayAt(2)
    processes.push(second)
    await deploy(first.url, 'hello-2')
    const two = await load('cluster: 2 gateways', [first.url, second.url], 'hello-2')
    return [one, two]
  } finally {
    await Promise.all(processes.map((p) => p.stop()))
    await nats.stop()
  }
}

export default async function (): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'nexus-bench-cluster-'))
  try {
    const base = await embedded(root)
    const rows = await clustered(root)
    const f = (x: number) => x.toFixed(1)
    console.log(
      `N = ${N} synchronous invocations, ${C} at a time, after a warm-up; load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')} (1/5/15 min)`,
    )
    console.log('| stack | attested results/s | p50 / p99 latency (ms) | results/s ÷ embedded | p50 ÷ embedded |')
    console.log('|---|---|---|---|---|')
    for (const r of [base, ...rows])
      console.log(
        `| ${r.label} | ${f(r.perSecond)} | ${f(r.p50)} / ${f(r.p99)} | ${(r.perSecond / base.perSecond).toFixed(2)}× | ${(r.p50 / base.p50).toFixed(2)}× |`,
      )
    console.log('JetStream vs PGlite log append latency: `npm run bench -- log-append`.')
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}
