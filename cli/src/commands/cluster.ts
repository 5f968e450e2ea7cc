// `nexus cluster up`: the cluster mode on one machine, for trying it out: three nats-server
// processes routed into one JetStream cluster with authenticated roles (one nkey login per gateway
// and per replica, docs/cluster.md "Roles and permissions"), the log's streams with 3 copies, then
// the replicas (`nexus replica --nats`, pulling the log) and the gateways (`nexus gateway --nats`,
// stateless), each its own process. Ctrl-C (SIGINT) or SIGTERM stops gateways, then replicas, then
// the servers. Keys come from a dealer on first start (keys/), kept for the next start.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { startNatsCluster } from './cluster-nats.ts'
import { ensureKeys } from '../dev/index.ts'
import { type ClusterProcess, startClusterGateway, startClusterReplica } from '../cluster/processes.ts'

const usage =
  'usage: nexus cluster up [--dir .nexus-cluster] [--port 4322] [--cluster-port 6322] [--host 127.0.0.1] [--gateways 2] [--replicas 4] [--t 3] [--gateway-port 8801] [--prefix nexus] [--nats-server /usr/sbin/nats-server]'

const whole = (name: string, value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new Error(`nexus cluster: --${name} expects a positive whole number, got "${value}"`)
  return Number(value)
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'up') {
    console.error(usage)
    return sub === '--help' || sub === '-h' ? 0 : 2
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      dir: { type: 'string', default: '.nexus-cluster' },
      port: { type: 'string', default: '4322' },
      'cluster-port': { type: 'string', default: '6322' },
      host: { type: 'string', default: '127.0.0.1' },
      gateways: { type: 'string', default: '2' },
      replicas: { type: 'string', default: '4' },
      t: { type: 'string' },
      'gateway-port': { type: 'string', default: '8801' },
      prefix: { type: 'string', default: 'nexus' },
      'nats-server': { type: 'string', default: process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server' },
    },
  })
  // Listening before the start: Ctrl-C while the servers elect their leader stops them too.
  const interrupted = new AbortController()
  const signalled = new Promise<NodeJS.Signals>((done) => {
    for (const name of ['SIGINT', 'SIGTERM'] as const)
      process.once(name, () => {
        interrupted.abort()
        done(name)
      })
  })
  const cluster = await startNatsCluster({
    dir: resolve(values.dir),
    port: whole('port', values.port),
    clusterPort: whole('cluster-port', values['cluster-port']),
    host: values.host,
    gateways: whole('gateways', values.gateways),
    replicas: whole('replicas', values.replicas),
    prefix: values.prefix,
    binary: values['nats-server'],
    signal: interrupted.signal,
  })
  const dir = resolve(values.dir)
  const n = whole('replicas', values.replicas)
  const t = values.t === undefined ? Math.floor((2 * n) / 3) + 1 : whole('t', values.t)
  const started: ClusterProcess[] = []
  const stopAll = async () => {
    // Gateways first (they stop accepting and drain), then replicas, then the servers.
    for (const kind of ['gateway', 'replica']) await Promise.all(started.filter((p) => p.name.startsWith(kind)).map((p) => p.stop()))
    await cluster.stop()
  }
  try {
    const keys = join(dir, 'keys')
    await ensureKeys(keys, { t, n })
    const apiKeyFile = join(dir, 'api-keys')
    if (!existsSync(apiKeyFile)) await writeFile(apiKeyFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' })
    const common = (name: string) => ({
      servers: cluster.urls,
      credentialsFile: join(cluster.credentialsDir, `${name}.json`),
      prefix: values.prefix,
      dataDir: join(dir, name),
      onLog: (line: string) => console.error(`[${name}] ${line}`),
    })
    const t0 = performance.now()
    const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`
    for (let i = 1; i <= n; i++) started.push(await startClusterReplica({ ...common(`replica-${i}`), index: i, keyFile: join(keys, `replica-${i}.key.json`) }))
    console.log(`replicas 1..${n} pulling the log (${elapsed()})`)
    const gatewayPort = whole('gateway-port', values['gateway-port'])
    const gatewayCount = whole('gateways', values.gateways)
    for (let k = 1; k <= gatewayCount; k++) {
      const gateway = await startClusterGateway({
        ...common(`gateway-${k}`),
        index: k,
        networkFile: join(keys, 'network.json'),
        apiKeyFile,
        streamReplicas: 3,
        leader: k === 1,
        port: gatewayPort + k - 1,
        host: values.host,
      })
      started.push(gateway)
      console.log(`gateway ${k} at ${gateway.url}${k === 1 ? ' (leader: cron and inbox relay)' : ''} (${elapsed()})`)
    }
    const lines = [
      `NATS JetStream cluster (3 nodes, log "${values.prefix}" with 3 copies per stream):`,
      ...cluster.nodes.map((node) => `  ${node.name}  ${node.url}  (log ${node.logFile})`),
      `servers: ${cluster.urls.join(',')}`,
      `credentials (nkey seeds, private): ${cluster.credentialsDir}/`,
      ...cluster.users.map((u) => `  ${u.name.padEnd(10)} ${cluster.credentialsDir}/${u.name}.json`),
      `keys (t = ${t} of n = ${n}, from a dealer): ${keys}/network.json; deploy key: ${apiKeyFile}`,
      `gateways: ${started.flatMap((p) => ('url' in p ? [p.url] : [])).join(' ')}`,
      'ready. Ctrl-C stops everything.',
    ]
    console.log(lines.join('\n'))
  } catch (err) {
    await stopAll().catch(() => {})
    throw err
  }
  const signal = await signalled
  console.log(`${signal}: stopping gateways, replicas and NATS servers …`)
  await stopAll()
  console.log('stopped.')
  return 0
}
