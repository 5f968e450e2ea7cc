// The files `nexus keygen` writes, dealer or DKG: one secret key file per replica (0600, never
// overwritten unless --force) and the public network.json. A DKG participant writes only its own
// key file; the DKG coordinator, only network.json.
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { NexusError } from '@nexus/protocol'
import { encodeG2, type Network, type ShareKey, sharePublicKey } from '@nexus/protocol/attest'

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

/** Writes `replica-<i>.key.json` for each share and `network.json` into `out`; returns the folder. */
export async function writeKeyFiles(out: string, network: Network, shares: readonly ShareKey[], { force = false } = {}): Promise<string> {
  const dir = resolve(out)
  await mkdir(dir, { recursive: true })
  const flag = force ? 'w' : 'wx' // never overwrite secret keys by accident
  for (const share of shares) {
    const file: ReplicaKeyFile = {
      protocol: 'nexus.result.v1',
      index: share.index,
      secretKey: share.secretKey,
      publicKey: encodeG2(sharePublicKey(share)),
      t: network.t,
      n: network.n,
      groupPublicKey: network.groupPublicKey,
    }
    const path = join(dir, `replica-${share.index}.key.json`)
    await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag })
    await chmod(path, 0o600) // in case --force reused an existing file with looser permissions
  }
  await writeFile(join(dir, 'network.json'), `${JSON.stringify(network, null, 2)}\n`, { flag })
  return dir
}

/**
 * What to print for a failed keygen: an existing file names --force (no message here carries a
 * secret). A Nexus error is recognised by its short message, so that a DKG participant process
 * need not load all of @nexus/protocol for one `instanceof`. `full`: with its details (which dealers
 * were disqualified and why, the NATS error behind a failed connection).
 */
export function keygenFailure(err: unknown, { full = false } = {}): string {
  const e = err as NodeJS.ErrnoException & Partial<NexusError>
  if (e?.code === 'EEXIST') return `${e.path} exists (use --force to overwrite)`
  if (typeof e?.shortMessage === 'string') return full ? (e.message as string) : e.shortMessage
  return err instanceof Error ? err.message : String(err)
}
