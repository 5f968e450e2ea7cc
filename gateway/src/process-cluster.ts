// `nexus gateway --nats …`: the cluster-mode flags of the gateway process (process-main.ts), read
// into createGateway's `cluster` option. In cluster mode the log is the cluster's, replicas pull it
// (no --replicas, no gateway key) and --data holds only this gateway's own state (trigger cursors).
//   --nats <url,url,…>        the cluster's NATS servers (cluster mode)
//   --credentials <file>      this gateway's NATS user, `{ "name": "gateway-<k>", "seed": "SU…" }` (0600;
//                             `nexus cluster up` writes them under .nexus-cluster/credentials/)
//   [--prefix nexus]          the log's stream and subject prefix
//   [--stream-replicas 3]     copies of each stream, if this gateway is the first to create them
//   [--leader]                relay NexusInbox requests here (exactly one gateway of a cluster)
import { readFile } from 'node:fs/promises'
import type { ClusterOptions } from './cluster/index.ts'
import type { NatsCredentials } from './log/jetstream/index.ts'

export const clusterFlags = {
  nats: { type: 'string' },
  credentials: { type: 'string' },
  prefix: { type: 'string', default: 'nexus' },
  'stream-replicas': { type: 'string', default: '1' },
  leader: { type: 'boolean', default: false },
} as const

export const clusterUsage = '--nats <url,…> --credentials <file> [--prefix nexus] [--stream-replicas 3] [--leader]'

type ClusterFlagValues = { nats?: string; credentials?: string; prefix?: string; 'stream-replicas'?: string; leader?: boolean }

/** A credentials file's login; the message of a bad one never quotes the file (it holds the seed). */
async function readCredentials(file: string): Promise<NatsCredentials> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new Error(`--credentials ${file}: not a readable JSON file (${(err as NodeJS.ErrnoException).code ?? 'invalid JSON'})`)
  }
  const c = parsed as Partial<NatsCredentials> | null
  if (typeof c?.name !== 'string' || typeof c.seed !== 'string' || !c.seed.startsWith('SU'))
    throw new Error(`--credentials ${file}: expected { "name": "gateway-<k>", "seed": "SU…" } (a user nkey seed)`)
  if (!c.name.startsWith('gateway-')) throw new Error(`--credentials ${file}: user "${c.name}" is not a gateway user (gateway-<k>)`)
  return { name: c.name, seed: c.seed }
}

/** The `cluster` option from the flags, or undefined without --nats. Throws a usage error otherwise. */
export async function clusterOptionsOf(values: ClusterFlagValues): Promise<ClusterOptions | undefined> {
  if (!values.nats) {
    if (values.credentials || values.leader) throw new Error('--credentials and --leader are cluster-mode flags: give --nats <url,…> too')
    return undefined
  }
  if (!values.credentials) throw new Error("--nats needs --credentials <file> (this gateway's NATS user, e.g. .nexus-cluster/credentials/gateway-1.json)")
  const streamReplicas = Number(values['stream-replicas'] ?? '1')
  if (!Number.isInteger(streamReplicas) || streamReplicas < 1 || streamReplicas > 5) throw new Error('--stream-replicas must be an integer from 1 to 5')
  return {
    servers: values.nats.split(',').map((s) => s.trim()),
    credentials: await readCredentials(values.credentials),
    prefix: values.prefix,
    streamReplicas,
    leader: values.leader === true,
  }
}
