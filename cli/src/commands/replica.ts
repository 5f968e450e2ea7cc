// `nexus replica`: one replica process. Its state (data dir, PGlite files) is private to its user
// and locked to this process (runtime/src/store); the share key is read from the file --key names.
import { parseArgs } from 'node:util'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { AddressInfo } from 'node:net'
import { zeroAddress, type Address, type Hex } from 'viem'
import { createReplica, createReplicaServer, deferWasmTierUp, prebundleWorkers } from '@nexus/runtime'
import { GATEWAY_KEY_ENV, loadGatewayKey, nexusCacheDir } from '@nexus/runtime'
import { makePrivate } from '@nexus/runtime/store'
import { untilStopped, upgradeSignerAfterStart } from './replica-stop.ts'

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      index: { type: 'string' },
      // Default 0 (any free port). With --nats only GET /health and /metrics are served, and only when given.
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string' },
      schema: { type: 'string' },
      key: { type: 'string' },
      // The secret the gateway signs its requests with: a file, or NEXUS_GATEWAY_KEY (never argv).
      'gateway-key-file': { type: 'string' },
      'chain-id': { type: 'string', default: '31337' },
      verifier: { type: 'string', default: zeroAddress },
      // `--rpc <chainId>=<url>`, repeatable: where handlers' chain reads go.
      rpc: { type: 'string', multiple: true, default: [] },
      // Share signing engine: wasm (default, falls back to noble if it cannot load) or noble.
      signer: { type: 'string', default: 'wasm' },
      // Compiled, metered modules by code hash. Default: this user's Nexus cache (`compiled` in
      // NEXUS_CACHE_DIR, the project's node_modules/.cache/nexus or ~/.cache/nexus; private to the
      // user), else <data>/artifacts. The replicas of one machine and user share it (nexus dev
      // does): each entry is then compiled once, not once per replica or per state folder; whoever
      // can write the folder decides what this replica runs, so share it only between processes
      // that trust each other.
      'compile-cache': { type: 'string' },
      // Byte budget of the sandbox's component cache (compiled modules and pristine instances by
      // code hash, least recently used evicted first). Default: 64.
      'memory-budget-mb': { type: 'string' },
      // Cluster mode (replica-nats.ts): pull the log from these NATS servers instead of serving a gateway.
      nats: { type: 'string' },
      credentials: { type: 'string' },
      prefix: { type: 'string', default: 'nexus' },
    },
  })
  if (!values.index || !/^\d+$/.test(values.index)) throw new Error('nexus replica: --index <n> is required')
  const index = Number(values.index)
  if (values.signer !== 'wasm' && values.signer !== 'noble') throw new Error(`nexus replica: --signer expects wasm or noble, got "${values.signer}"`)
  const budgetMb = values['memory-budget-mb']
  if (budgetMb !== undefined && !/^\d+$/.test(budgetMb)) throw new Error(`nexus replica: --memory-budget-mb expects a whole number of MiB, got "${budgetMb}"`)
  // Checked before the replica opens its store: a bad flag is reported at once.
  if (values.port !== undefined && !/^\d{1,5}$/.test(values.port)) throw new Error(`nexus replica: --port expects a port number, got "${values.port}"`)
  // Loaded only in cluster mode: a replica that serves a gateway never loads the NATS client or the log.
  const nats = values.nats === undefined ? undefined : await import('./replica-nats.ts')
  const cluster = await nats?.readClusterFlags(values, index)
  const gatewayKey = cluster ? undefined : loadGatewayKey(values['gateway-key-file'])
  if (!cluster && !gatewayKey)
    throw new Error(
      `nexus replica: --gateway-key-file <path> or ${GATEWAY_KEY_ENV} is required (the replica serves only its gateway), or --nats to pull the log`,
    )
  // PGlite's start optimised in the background slows four replicas starting on two cores (startup-tiering.ts).
  const tieringRestored = deferWasmTierUp()
  const data = resolve(values.data ?? `.nexus/replica-${index}`)
  makePrivate(data)
  const shareKey = values.key ? (JSON.parse(await readFile(values.key, 'utf8')) as { index: number; secretKey: Hex }) : undefined
  const replica = await createReplica({
    index,
    dataDir: process.env.DATABASE_URL ? undefined : join(data, 'db'),
    databaseUrl: process.env.DATABASE_URL,
    // On PostgreSQL each replica's tables live in a schema derived from its data directory: the same
    // replica restarted finds its state again, and two stacks on one database never share a replica.
    schema: values.schema ?? `replica_${index}_${createHash('sha256').update(data).digest('hex').slice(0, 12)}`,
    cacheDir: values['compile-cache'] ? resolve(values['compile-cache']) : await defaultCompileCache(data),
    shareKey: shareKey ? { index: shareKey.index, secretKey: shareKey.secretKey } : undefined,
    chainId: BigInt(values['chain-id']),
    verifier: values.verifier as Address,
    rpc: parseRpcFlags(values.rpc ?? []),
    signer: values.signer,
    deferWasmSigner: true,
    warn: (message) => console.error(`[replica ${index}] ${message}`),
    memoryBudgetBytes: budgetMb === undefined ? undefined : Number(budgetMb) * 1024 * 1024,
  })
  await prebundleWorkers()
  if (nats && cluster) {
    tieringRestored()
    return nats.runClusterReplica(replica, cluster, values.port === undefined ? undefined : { port: Number(values.port), host: values.host })
  }
  const server = createReplicaServer(replica, { gatewayKey: gatewayKey! })
  server.listen(Number(values.port ?? '0'), values.host, () => {
    // The gateway (and tests) read this line to learn the port.
    console.log(JSON.stringify({ event: 'listening', index, port: (server.address() as AddressInfo).port }))
    upgradeSignerAfterStart(replica)
    tieringRestored()
  })
  await untilStopped(
    index,
    () =>
      new Promise<void>((done) => {
        server.close(() => done())
        server.closeAllConnections()
      }),
  )
  await replica.close()
  return 0
}

/** The user's Nexus cache, or the replica's own folder when this user has no usable one (then said on stderr). */
async function defaultCompileCache(data: string): Promise<string> {
  try {
    return await nexusCacheDir('compiled')
  } catch (err) {
    const own = join(data, 'artifacts')
    console.error(`nexus replica: compiling into ${own}: ${err instanceof Error ? err.message : String(err)}`)
    return own
  }
}

/** `['31337=http://127.0.0.1:8545']` → `{ '31337': 'http://127.0.0.1:8545' }`. */
export function parseRpcFlags(flags: string[]): Record<string, string> {
  const rpc: Record<string, string> = {}
  for (const flag of flags) {
    const m = /^(\d{1,20})=(https?:\/\/\S+)$/.exec(flag)
    if (!m) throw new Error(`nexus replica: --rpc expects <chainId>=<http(s) url>, got "${flag}"`)
    rpc[m[1]!] = m[2]!
  }
  return rpc
}
