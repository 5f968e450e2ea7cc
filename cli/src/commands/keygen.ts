// `nexus keygen --t 3 --n 4 --out <dir> [--dkg] [--seed <text>] [--chain-id <id>] [--verifier <address>]`
// Writes replica-<i>.key.json (mode 0600, one per replica) and the public network.json, all on
// this machine: a dealer, or the DKG simulated in one process (for development). With `--nats` the
// DKG runs among the replica hosts themselves instead (keygen-dkg.ts): no machine sees every share.
import { parseArgs } from 'node:util'
import { dealerKeygen, parseNetwork, runDkg, type Network, type ShareKey } from '@nexus/protocol/attest'
import { keygenFailure, writeKeyFiles } from './key-files.ts'

const usage = `usage: nexus keygen --t <t> --n <n> --out <dir> [--dkg] [--seed <text>] [--chain-id <id>] [--verifier <0x…>] [--force]
       nexus keygen --dkg --nats <url> …   the DKG among replica hosts over NATS (see nexus keygen --dkg --nats <url> --help)`

export async function run(argv: string[]): Promise<number> {
  if (argv.some((arg) => arg === '--nats' || arg.startsWith('--nats='))) return (await import('./keygen-dkg.ts')).run(argv)
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        t: { type: 'string' },
        n: { type: 'string' },
        out: { type: 'string' },
        dkg: { type: 'boolean', default: false },
        seed: { type: 'string' },
        'chain-id': { type: 'string' },
        verifier: { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values
  } catch (err) {
    console.error(`nexus keygen: ${(err as Error).message}\n${usage}`)
    return 2
  }
  if (values.help) {
    console.log(usage)
    return 0
  }
  const t = Number(values.t)
  const n = Number(values.n)
  if (!values.t || !values.n || !values.out || !Number.isInteger(t) || !Number.isInteger(n)) {
    console.error(usage)
    return 2
  }
  const seed = values.seed === undefined ? undefined : new TextEncoder().encode(values.seed)
  try {
    let network: Network
    let shares: ShareKey[]
    if (values.dkg) {
      const result = runDkg({ t, n, seed })
      network = result.network
      shares = result.shares
      for (const d of result.disqualified) console.error(`dealer ${d.index} disqualified: ${d.reason}`)
    } else {
      ;({ network, shares } = dealerKeygen({ t, n, seed }))
    }
    if (values['chain-id'] !== undefined) network.chainId = values['chain-id']
    if (values.verifier !== undefined) network.verifier = values.verifier as `0x${string}`
    network = parseNetwork(network) // validates chainId/verifier and re-checks keys against the commitments

    const dir = await writeKeyFiles(values.out, network, shares, { force: values.force })
    console.log(`${values.dkg ? 'dkg' : 'dealer'} ${t}-of-${n} keys written to ${dir}`)
    console.log(`group public key ${network.groupPublicKey}`)
    return 0
  } catch (err) {
    console.error(`nexus keygen: ${keygenFailure(err)}`)
    return 1
  }
}
