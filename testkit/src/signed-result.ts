// A t-of-n attested result signed with key files `nexus keygen` wrote, for tests and benchmarks
// that check `nexus verify` (one way to build it, instead of one per caller).
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Hex, keccak256, toBytes } from 'viem'
import { combineShares, createAttestedResult, parseNetwork, resultDigest, signShare, type ShareKey } from '@nexus/protocol/attest'

export type WriteSignedResultParameters = {
  /** Folder holding network.json and replica-<i>.key.json. */
  keysDir: string
  /** Where the result JSON goes. */
  file: string
  /** Replica indices whose shares are combined (t of them). */
  signers: number[]
  functionId: string
  verifier?: Hex
}

/** Writes the result and returns its digest (what `nexus verify` prints after `ok`). */
export async function writeSignedResult(p: WriteSignedResultParameters): Promise<Hex> {
  const network = parseNetwork(JSON.parse(await readFile(join(p.keysDir, 'network.json'), 'utf8')))
  const shares = await Promise.all(p.signers.map(async (i) => JSON.parse(await readFile(join(p.keysDir, `replica-${i}.key.json`), 'utf8')) as ShareKey))
  const output: Hex = '0x2a'
  const fields = {
    chainId: 31337n,
    verifier: p.verifier ?? '0x0000000000000000000000000000000000000000',
    functionId: p.functionId,
    codeHash: keccak256(toBytes('c')),
    seq: 1n,
    inputHash: keccak256(toBytes('i')),
    status: 0,
    outputHash: keccak256(output),
    stateRootBefore: keccak256(toBytes('a')),
    stateRootAfter: keccak256(toBytes('b')),
    fuelUsed: 5n,
  } as const
  const digest = resultDigest(fields)
  const { signature, signers } = combineShares(
    digest,
    shares.map((k) => signShare(digest, k)),
    network,
  )
  await writeFile(p.file, JSON.stringify(createAttestedResult({ fields, output, signature, signers, groupPublicKey: network.groupPublicKey })))
  return digest
}
