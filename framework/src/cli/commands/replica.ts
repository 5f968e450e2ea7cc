import { parseArgs } from 'node:util'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { AddressInfo } from 'node:net'
import { zeroAddress, type Address, type Hex } from 'viem'
import { createReplica, createReplicaServer } from '../../../../runtime/src/index.ts'

export const summary = 'Run one replica process (HTTP API for the gateway).'

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      index: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string' },
      schema: { type: 'string' },
      key: { type: 'string' },
      'chain-id': { type: 'string', default: '31337' },
      verifier: { type: 'string', default: zeroAddress },
      // `--rpc <chainId>=<url>`, repeatable: where handlers' chain reads go.
      rpc: { type: 'string', multiple: true, default: [] },
      // Share signing engine: wasm (default, falls back to noble if it cannot load) or noble.
      signer: { type: 'string', default: 'wasm' },
    },
  })
  if (!values.index || !/^\d+$/.test(values.index)) throw new Error('nexus replica: --index <n> is required')
  const index = Number(values.index)
  if (values.signer !== 'wasm' && values.signer !== 'noble') throw new Error(`nexus replica: --signer expects wasm or noble, got "${values.signer}"`)
  const data = resolve(values.data ?? `.nexus/replica-${index}`)
  const shareKey = values.key ? (JSON.parse(await readFile(values.key, 'utf8')) as { index: number; secretKey: Hex }) : undefined
  const replica = await createReplica({
    index,
    dataDir: process.env.DATABASE_URL ? undefined : join(data, 'db'),
    databaseUrl: process.env.DATABASE_URL,
    // On PostgreSQL each replica's tables live in a schema derived from its data directory: the same
    // replica restarted finds its state again, and two stacks on one database never share a replica.
    schema: values.schema ?? `replica_${index}_${createHash('sha256').update(data).digest('hex').slice(0, 12)}`,
    cacheDir: join(data, 'artifacts'),
    shareKey: shareKey ? { index: shareKey.index, secretKey: shareKey.secretKey } : undefined,
    chainId: BigInt(values['chain-id']),
    verifier: values.verifier as Address,
    rpc: parseRpcFlags(values.rpc ?? []),
    signer: values.signer,
    warn: (message) => console.error(`[replica ${index}] ${message}`),
  })
  const server = createReplicaServer(replica)
  server.listen(Number(values.port), values.host, () => {
    // The gateway (and tests) read this line to learn the port.
    console.log(JSON.stringify({ event: 'listening', index, port: (server.address() as AddressInfo).port }))
  })
  await new Promise<void>((done) => {
    const stop = () => server.close(() => done())
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await replica.close()
  return 0
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
