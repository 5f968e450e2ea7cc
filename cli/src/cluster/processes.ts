// The cluster's gateway and replica processes on one machine (`nexus cluster up`, the chaos test,
// the cluster bench): each its own `nexus gateway --nats …` / `nexus replica --nats …` process that
// logs in to NATS with its own credentials file. Secrets reach them as file paths, never argv.
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { nodeFlags, repoRoot, replicaCommand, replicaEnv } from '../dev/index.ts'
import { type SpawnedProcess, spawnUntilEvent } from '../dev/spawn-event.ts'

export type ClusterProcess = SpawnedProcess & { name: string }
export type ClusterGatewayProcess = ClusterProcess & { port: number; url: string }

type Common = {
  /** NATS client URLs of the cluster (any of them will do; the client fails over). */
  servers: string[]
  /** The process's credentials file (`{ name, seed }`, private). */
  credentialsFile: string
  /** The log's prefix. Default: 'nexus'. */
  prefix?: string
  dataDir: string
  onLog?: (line: string) => void
}

const nexusBin = fileURLToPath(new URL('../../bin/nexus.js', import.meta.url))
// From the repository's TypeScript (tests, benches, `nexus` run from source) the gateway runs the
// same source: the bin would otherwise prefer a dist/ build, which may be older.
const sourceFlags = import.meta.url.endsWith('.ts') ? ['--conditions=nexus-source'] : []

/** The flags every cluster process takes: where NATS is, who it logs in as, which log. */
const natsArgs = (p: Common) => ['--nats', p.servers.join(','), '--credentials', p.credentialsFile, '--prefix', p.prefix ?? 'nexus']

/** `nexus replica --nats …`: pulls the log, applies, publishes its shares. Resolves once its consumer runs. */
export async function startClusterReplica(p: Common & { index: number; keyFile: string }): Promise<ClusterProcess> {
  await mkdir(p.dataDir, { recursive: true })
  const args = [...nodeFlags, ...(await replicaCommand()), ...natsArgs(p), '--index', String(p.index), '--key', p.keyFile, '--data', p.dataDir]
  const name = `replica-${p.index}`
  const spawned = await spawnUntilEvent({ label: name, args, event: 'ready', cwd: repoRoot, env: replicaEnv(), lifeline: true, onLog: p.onLog })
  return { ...spawned, name }
}

export type StartClusterGatewayParameters = Common & {
  index: number
  networkFile: string
  /** Deployer keys, one per line. */
  apiKeyFile: string
  /** Copies of each stream (3 on a 3-node cluster). */
  streamReplicas: number
  /** Runs what must run once per cluster (cron ticks, the inbox relayer). */
  leader?: boolean
  /** Default: 0 (any free port). */
  port?: number
  host?: string
}

/** `nexus gateway --nats …`: stateless, any number of them. Resolves once it listens. */
export async function startClusterGateway(p: StartClusterGatewayParameters): Promise<ClusterGatewayProcess> {
  await mkdir(p.dataDir, { recursive: true })
  const host = p.host ?? '127.0.0.1'
  const args = [
    '--experimental-wasm-extended-const',
    ...sourceFlags,
    nexusBin,
    'gateway',
    ...natsArgs(p),
    '--stream-replicas',
    String(p.streamReplicas),
    '--network',
    p.networkFile,
    '--api-key-file',
    p.apiKeyFile,
    '--data',
    p.dataDir,
    '--port',
    String(p.port ?? 0),
    '--host',
    host,
    ...(p.leader ? ['--leader'] : []),
  ]
  const name = `gateway-${p.index}`
  const spawned = await spawnUntilEvent({ label: name, args, event: 'listening', cwd: repoRoot, env: process.env, lifeline: false, onLog: p.onLog })
  const port = Number(spawned.ready.port)
  return { ...spawned, name, port, url: `http://${host}:${port}` }
}
