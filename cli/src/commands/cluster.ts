// `nexus cluster up`: the cluster mode on one machine, for trying it out. Today it starts the NATS
// half: three nats-server processes routed into one JetStream cluster, with authenticated roles
// (one nkey login per gateway and per replica, docs/cluster.md "Roles and permissions"), the log's
// streams created with 3 copies, then waits; Ctrl-C (SIGINT) or SIGTERM stops the servers cleanly.
// Gateways and replicas that run on the cluster do not exist yet; the command says so instead of
// pretending.
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { startNatsCluster } from './cluster-nats.ts'

const usage =
  'usage: nexus cluster up [--dir .nexus-cluster] [--port 4322] [--cluster-port 6322] [--host 127.0.0.1] [--gateways 2] [--replicas 4] [--prefix nexus] [--nats-server /usr/sbin/nats-server]'

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
  const lines = [
    `NATS JetStream cluster up (3 nodes, log "${values.prefix}" with 3 copies per stream):`,
    ...cluster.nodes.map((n) => `  ${n.name}  ${n.url}  (log ${n.logFile})`),
    `servers: ${cluster.urls.join(',')}`,
    `credentials (nkey seeds, private): ${cluster.credentialsDir}/`,
    ...cluster.users.map((u) => `  ${u.name.padEnd(10)} ${cluster.credentialsDir}/${u.name}.json`),
    'not yet implemented: gateways and replicas in cluster mode (nexus gateway --nats …, nexus replica --nats …),',
    '  so none are started; the log API is usable now: createJetStreamLog({ servers, credentials }) from @nexus/gateway/jetstream.',
    'ready. Ctrl-C stops the servers.',
  ]
  console.log(lines.join('\n'))
  const signal = await signalled
  console.log(`${signal}: stopping the NATS servers …`)
  await cluster.stop()
  console.log('stopped.')
  return 0
}
