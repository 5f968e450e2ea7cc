// `nexus replica --nats …`: cluster mode. The replica pulls the ordered log from the NATS cluster
// itself and publishes a signed share per invocation (cluster/replica-node.ts); no gateway calls
// it, so no gateway key is needed and no execute API is served. It logs in with the credentials
// file `nexus cluster up` wrote for it (`{ name, seed }`, the nkey seed): the seed is its login and
// is never printed, not even when the file is malformed.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type NatsCredentials, subjectsFor } from '@nexus/gateway/jetstream'
import { NexusError } from '@nexus/protocol'
import { type Replica, replicaMetrics } from '@nexus/runtime'
import { startReplicaNode } from '../cluster/replica-node.ts'
import { readCredentials } from './credentials-file.ts'
import { untilStopped, upgradeSignerAfterStart } from './replica-stop.ts'

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
  const credentials = values.credentials === undefined ? undefined : await readCredentials(values.credentials, { role: 'replica', index }, fail)
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
  upgradeSignerAfterStart(replica)
  await untilStopped(replica.index, async () => {
    server?.close()
    server?.closeAllConnections()
    await node.stop()
  })
  await replica.close()
  return 0
}
