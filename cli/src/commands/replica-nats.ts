// `nexus replica --nats …`: cluster mode. The replica pulls the ordered log from the NATS cluster
// itself and publishes a signed share per invocation (cluster/replica-node.ts); no gateway calls
// it, so no gateway key is needed and no execute API is served. It logs in with the credentials
// file `nexus cluster up` wrote for it (`{ name, seed }`, the nkey seed): the seed is its login and
// is never printed, not even when the file is malformed.
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type NatsCredentials, subjectsFor } from '@nexus/gateway/jetstream'
import { NexusError } from '@nexus/protocol'
import { type Replica, replicaMetrics } from '@nexus/runtime'
import { startReplicaNode } from '../cluster/replica-node.ts'
import { untilStopped } from './replica-stop.ts'

export class ReplicaClusterFlagsError extends NexusError {
  override name = 'ReplicaClusterFlagsError'
  override code = 'NEXUS_REPLICA_FLAGS'
}

export type ClusterFlags = { servers: string[]; credentials?: NatsCredentials; prefix: string }

const fail = (message: string): never => {
  throw new ReplicaClusterFlagsError(`nexus replica: ${message}`)
}

/** `nats://host:port,host:port` → the servers, each checked to look like one. */
export function parseServers(flag: string): string[] {
  const servers = flag
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (servers.length === 0) fail('--nats expects <server>[,<server>…], e.g. nats://127.0.0.1:4222')
  for (const s of servers)
    if (!/^(nats|tls|wss?):\/\/[^\s/]+(:\d+)?\/?$/.test(s) && !/^[^\s/:]+:\d+$/.test(s))
      fail(`--nats: "${s}" is not a server address (nats://host:port or host:port)`)
  return servers
}

/** The replica user's credentials file; errors name the file and what is wrong, never its content. */
export async function readCredentials(path: string, index: number): Promise<NatsCredentials> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) =>
    fail(`cannot read the credentials file ${path} (${err.code ?? err.message}); nexus cluster up writes it as credentials/replica-${index}.json`),
  )
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    fail(`the credentials file ${path} is not JSON ({ "name": "replica-${index}", "seed": "SU…" })`)
  }
  const { name, seed } = (parsed ?? {}) as { name?: unknown; seed?: unknown }
  if (typeof name !== 'string' || typeof seed !== 'string' || !/^SU[A-Z2-7]+$/.test(seed))
    fail(`the credentials file ${path} must hold { "name": "replica-${index}", "seed": "SU…" } (a user nkey seed)`)
  if (name !== `replica-${index}`) fail(`the credentials file ${path} is ${String(name)}'s, not replica-${index}'s (--index ${index})`)
  return { name: name as string, seed: seed as string }
}

/** The cluster-mode flags, checked before anything starts. */
export async function readClusterFlags(
  values: { nats?: string; credentials?: string; prefix?: string; key?: string; 'gateway-key-file'?: string },
  index: number,
): Promise<ClusterFlags> {
  const servers = parseServers(values.nats ?? '')
  const prefix = values.prefix ?? 'nexus'
  try {
    subjectsFor(prefix)
  } catch (err) {
    fail(`--prefix: ${(err as Error).message}`)
  }
  if (!values.key) fail('--key <share key file> is required with --nats (the shares this replica publishes are signed with it)')
  if (values['gateway-key-file']) fail('--gateway-key-file has no use with --nats (no gateway calls a replica that pulls the log)')
  const credentials = values.credentials === undefined ? undefined : await readCredentials(values.credentials, index)
  return { servers, credentials, prefix }
}

/** GET /health and GET /metrics, nothing else (no function's data): for a supervisor or a scraper. */
function healthServer(replica: Replica): Server {
  return createServer((req, res) => {
    const path = req.url?.split('?')[0]
    if (req.method === 'GET' && path === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, index: replica.index }))
    } else if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(replicaMetrics(replica))
    } else
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'cluster mode serves GET /health and /metrics only' } }))
  })
}

/** Pull the log until SIGINT/SIGTERM, then stop pulling, close the replica and the connection. */
export async function runClusterReplica(replica: Replica, flags: ClusterFlags, listen?: { port: number; host: string }): Promise<number> {
  const node = await startReplicaNode({ replica, servers: flags.servers, credentials: flags.credentials, prefix: flags.prefix })
  const server = listen ? healthServer(replica) : undefined
  if (server && listen) await new Promise<void>((done) => server.listen(listen.port, listen.host, done))
  // Tests and supervisors read this line: the consumer runs (and the port, when one is served).
  const port = server ? (server.address() as AddressInfo).port : undefined
  console.log(JSON.stringify({ event: 'ready', index: replica.index, ...(port !== undefined && { port }) }))
  void replica.upgradeSigner()
  await untilStopped(replica.index, async () => {
    server?.close()
    server?.closeAllConnections()
    await node.stop()
  })
  await replica.close()
  return 0
}
