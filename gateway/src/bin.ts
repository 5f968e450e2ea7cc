// Standalone gateway process:
// node --import tsx gateway/src/bin.ts --data <dir> --replicas <url,url,…> --network <network.json> --api-key <key> [--port 8787]
//   [--chains <chains.json>]  (a JSON array of ChainSpec, framework/src/triggers/spec.ts: follow these chains' events and blocks)
// (DATABASE_URL selects PostgreSQL instead of PGlite.) Prints {"event":"listening","port"} when up.
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { parseNetwork } from '../../framework/src/attest/index.ts'
import type { ChainSpec } from '../../framework/src/triggers/spec.ts'
import { createGateway } from './gateway.ts'

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '.nexus/gateway' },
    replicas: { type: 'string' },
    network: { type: 'string' },
    'api-key': { type: 'string', multiple: true, default: [] },
    port: { type: 'string', default: '8787' },
    host: { type: 'string', default: '127.0.0.1' },
    chains: { type: 'string' },
  },
})
if (!values.replicas || !values.network) {
  console.error('usage: gateway --replicas <url,…> --network <network.json> [--data <dir>] [--api-key <key>] [--port <p>]')
  process.exit(2)
}
const network = parseNetwork(JSON.parse(await readFile(values.network, 'utf8')))
const chains = values.chains ? (JSON.parse(await readFile(values.chains, 'utf8')) as ChainSpec[]) : undefined
if (chains !== undefined && !Array.isArray(chains)) {
  console.error(`gateway: ${values.chains} must hold a JSON array of chain specs`)
  process.exit(2)
}
const gateway = await createGateway({
  database: process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL, schema: process.env.NEXUS_GATEWAY_SCHEMA } : { dataDir: values.data },
  replicas: values.replicas.split(','),
  network,
  apiKeys: values['api-key'],
  chains,
  logger: (m) => console.error(m),
})
const port = await gateway.listen(Number(values.port), values.host)
console.log(JSON.stringify({ event: 'listening', port }))
const stop = async () => {
  await gateway.close()
  process.exit(0)
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
