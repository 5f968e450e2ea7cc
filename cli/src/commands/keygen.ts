// `nexus keygen --t 3 --n 4 --out <dir> [--dkg] [--seed <text>] [--chain-id <id>] [--verifier <address>]`
// Writes replica-<i>.key.json (mode 0600, one per replica) and the public network.json.
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { NexusError } from '@nexus/protocol'
import { dealerKeygen, encodeG2, parseNetwork, runDkg, sharePublicKey, type Network, type ShareKey } from '@nexus/protocol/attest'

const usage = 'usage: nexus keygen --t <t> --n <n> --out <dir> [--dkg] [--seed <text>] [--chain-id <id>] [--verifier <0x…>] [--force]'

/** The secret key file of one replica. */
export type ReplicaKeyFile = {
  protocol: 'nexus.result.v1'
  index: number
  secretKey: `0x${string}`
  publicKey: `0x${string}`
  t: number
  n: number
  groupPublicKey: `0x${string}`
}

export async function run(argv: string[]): Promise<number> {
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
      },
      strict: true,
    }).values
  } catch (err) {
    console.error(`nexus keygen: ${(err as Error).message}\n${usage}`)
    return 2
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

    const dir = resolve(values.out)
    await mkdir(dir, { recursive: true })
    const flag = values.force ? 'w' : 'wx' // never overwrite secret keys by accident
    for (const share of shares) {
      const file: ReplicaKeyFile = {
        protocol: 'nexus.result.v1',
        index: share.index,
        secretKey: share.secretKey,
        publicKey: encodeG2(sharePublicKey(share)),
        t,
        n,
        groupPublicKey: network.groupPublicKey,
      }
      const path = join(dir, `replica-${share.index}.key.json`)
      await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag })
      await chmod(path, 0o600) // in case --force reused an existing file with looser permissions
    }
    await writeFile(join(dir, 'network.json'), `${JSON.stringify(network, null, 2)}\n`, { flag })
    console.log(`${values.dkg ? 'dkg' : 'dealer'} ${t}-of-${n} keys written to ${dir}`)
    console.log(`group public key ${network.groupPublicKey}`)
    return 0
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') console.error(`nexus keygen: ${(err as NodeJS.ErrnoException).path} exists (use --force to overwrite)`)
    else console.error(`nexus keygen: ${err instanceof NexusError ? err.shortMessage : (err as Error).message}`)
    return 1
  }
}
