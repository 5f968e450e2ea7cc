// `nexus repair`: the operator's repair of a replica that diverged from the log for a function
// (docs/gateway.md, "Divergence"). Asks the replica, signed with the gateway key, to forget the
// function; the running gateway notices (it polls a diverged replica's state) and re-applies the
// function to it from the log from seq 1. The key comes from a file or NEXUS_GATEWAY_KEY, never argv.
import { parseArgs } from 'node:util'
import { createReplicaClient } from '@nexus/gateway'
import { GATEWAY_KEY_ENV, loadGatewayKey } from '@nexus/runtime'

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      replica: { type: 'string' },
      function: { type: 'string' },
      'gateway-key-file': { type: 'string' },
    },
  })
  if (!values.replica || !values.function) throw new Error('nexus repair: --replica <url> and --function <id> are required')
  const gatewayKey = loadGatewayKey(values['gateway-key-file'])
  if (!gatewayKey) throw new Error(`nexus repair: --gateway-key-file <path> or ${GATEWAY_KEY_ENV} is required`)
  const client = createReplicaClient({ index: 0, url: values.replica, gatewayKey })
  await client.resetFunction(values.function)
  console.log(`replica ${values.replica} forgot ${values.function}; the gateway re-applies it from seq 1`)
  return 0
}
