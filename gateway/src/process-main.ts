// The standalone gateway process, behind `nexus gateway` and gateway/src/bin.ts:
// NEXUS_API_KEYS=<key> nexus gateway --data <dir> --replicas <url,url,…> --network <network.json> [--port 8787]
//   [--api-key-file <file>]   (deployer keys, one per line; or NEXUS_API_KEYS=k1,k2 — never on the command line)
//   [--admin-key-file <file>] (admin keys, which may repoint any function; or NEXUS_ADMIN_KEYS)
//   [--gateway-key-file <file>] (or NEXUS_GATEWAY_KEY: the secret replicas authenticate the gateway by)
//   [--chains <chains.json>]  (a JSON array of ChainSpec, protocol/src/triggers/spec.ts: follow these chains' events and blocks)
// Cluster mode (process-cluster.ts): --nats <url,…> --credentials <file> [--prefix] [--stream-replicas] [--leader]
//   instead of --replicas and the gateway key: the log is on NATS JetStream, replicas pull it.
// (DATABASE_URL selects PostgreSQL instead of PGlite.) Prints {"event":"listening","port"} when up.
// SIGINT/SIGTERM: the clean stop of Gateway.close(); a second signal exits at once.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { parseNetwork } from '@nexus/protocol/attest'
import type { ChainSpec } from '@nexus/protocol'
import { PRIVATE_UMASK } from '@nexus/runtime/store'
import { createGateway, type Gateway } from './gateway.ts'
import { GATEWAY_KEY_ENV, loadGatewayKey } from '@nexus/runtime'
import { readAdminKeys, readApiKeys, SecretOnCommandLineError } from './secrets.ts'
import { clusterFlags, clusterOptionsOf, clusterUsage } from './process-cluster.ts'

const usage = `usage: gateway --replicas <url,…> --network <network.json> [--data <dir>] [--api-key-file <file>] [--admin-key-file <file>] [--gateway-key-file <file>] [--port <p>] [--host <h>] [--chains <chains.json>]\n   or: gateway ${clusterUsage} --network <network.json> [the options above but --replicas and --gateway-key-file]`

/**
 * On PostgreSQL a cluster gateway's local tables (trigger cursors) live in a schema derived from its
 * data directory: every gateway of a cluster is its own process, and a schema is one process's
 * (runtime/src/store/schema-lock.ts), so the default schema would let only one start.
 */
const clusterGatewaySchema = (data: string) => `gateway_${createHash('sha256').update(resolve(data)).digest('hex').slice(0, 12)}`

/** Runs a gateway in this process until SIGINT/SIGTERM (argv without the command name); resolves 0 once listening. */
export async function runGatewayProcess(argv: string[]): Promise<number> {
  // State this process writes (PGlite files) is private to its user.
  process.umask(PRIVATE_UMASK)
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string', default: '.nexus/gateway' },
      replicas: { type: 'string' },
      network: { type: 'string' },
      // Refused below with a message saying what to use instead.
      'api-key': { type: 'string', multiple: true },
      'api-key-file': { type: 'string', multiple: true, default: [] },
      'admin-key-file': { type: 'string', multiple: true, default: [] },
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      chains: { type: 'string' },
      // The secret replicas authenticate this gateway by: a file, or NEXUS_GATEWAY_KEY (never argv).
      'gateway-key-file': { type: 'string' },
      ...clusterFlags,
    },
  })
  if (values['api-key']) {
    console.error(`gateway: ${new SecretOnCommandLineError('--api-key', '--api-key-file <file> or NEXUS_API_KEYS').shortMessage}`)
    return 2
  }
  let cluster: Awaited<ReturnType<typeof clusterOptionsOf>>
  try {
    cluster = await clusterOptionsOf(values)
  } catch (err) {
    console.error(`gateway: ${(err as Error).message}`)
    return 2
  }
  if ((!values.replicas && !cluster) || !values.network) {
    console.error(usage)
    return 2
  }
  const network = parseNetwork(JSON.parse(await readFile(values.network, 'utf8')))
  const chains = values.chains ? (JSON.parse(await readFile(values.chains, 'utf8')) as ChainSpec[]) : undefined
  if (chains !== undefined && !Array.isArray(chains)) {
    console.error(`gateway: ${values.chains} must hold a JSON array of chain specs`)
    return 2
  }
  // Replicas that pull the log are never called by the gateway: no key to authenticate it by.
  const gatewayKey = cluster ? undefined : loadGatewayKey(values['gateway-key-file'])
  if (!cluster && !gatewayKey) {
    console.error(`gateway: --gateway-key-file <path> or ${GATEWAY_KEY_ENV} is required (the key the replicas authenticate the gateway by)`)
    return 2
  }

  let gateway: Gateway | undefined
  let signals = 0
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      console.error(`gateway: second ${signal}, exiting without draining`)
      process.exit(130)
    }
    console.error(`gateway: ${signal}, stopping (send it again to force)`)
    void (gateway?.close() ?? Promise.resolve()).then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  try {
    gateway = await createGateway({
      gatewayKey,
      database: process.env.DATABASE_URL
        ? { databaseUrl: process.env.DATABASE_URL, schema: process.env.NEXUS_GATEWAY_SCHEMA ?? (cluster ? clusterGatewaySchema(values.data) : undefined) }
        : { dataDir: values.data },
      replicas: values.replicas?.split(','),
      cluster,
      network,
      apiKeys: await readApiKeys(values['api-key-file']),
      adminKeys: await readAdminKeys(values['admin-key-file']),
      chains,
      logger: (m) => console.error(m),
    })
    const port = await gateway.listen(Number(values.port), values.host)
    console.log(JSON.stringify({ event: 'listening', port }))
  } catch (err) {
    console.error(`gateway: ${err instanceof Error ? err.message : String(err)}`)
    await gateway?.close().catch(() => {})
    return 1
  }
  return 0
}
