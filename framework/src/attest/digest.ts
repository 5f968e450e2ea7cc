// The result digest of protocol v1 (docs/protocol.md §1): keccak256 of the ABI encoding of a
// domain tag and the ten result fields. The Solidity verifier recomputes exactly this.
import { encodeAbiParameters, toBytes, type Address, type Hex } from 'viem'
import { keccak256 } from '../hash/keccak.ts'

/** The ten signed fields of a result. */
export type ResultFields = {
  chainId: bigint
  verifier: Address
  codeHash: Hex
  seq: bigint
  inputHash: Hex
  status: 0 | 1 | 2 | 3
  outputHash: Hex
  stateRootBefore: Hex
  stateRootAfter: Hex
  fuelUsed: bigint
}

export const RESULT_PROTOCOL = 'nexus.result.v1'
/** keccak256("nexus.result.v1") = 0x7a9001493b650650598bb69351c70f82fa0c38949ba2a0bf31ed45152cb667e3 */
export const RESULT_DOMAIN: Hex = keccak256(toBytes(RESULT_PROTOCOL))

const digestParameters = [
  { type: 'bytes32' }, // domain
  { type: 'uint256' }, // chainId
  { type: 'address' }, // verifier
  { type: 'bytes32' }, // codeHash
  { type: 'uint64' }, // seq
  { type: 'bytes32' }, // inputHash
  { type: 'uint8' }, // status
  { type: 'bytes32' }, // outputHash
  { type: 'bytes32' }, // stateRootBefore
  { type: 'bytes32' }, // stateRootAfter
  { type: 'uint64' }, // fuelUsed
] as const

/** The 352-byte `abi.encode(domain, ...fields)` that the digest hashes. */
export function encodeResultFields(fields: ResultFields): Hex {
  return encodeAbiParameters(digestParameters, [
    RESULT_DOMAIN,
    fields.chainId,
    fields.verifier,
    fields.codeHash,
    fields.seq,
    fields.inputHash,
    fields.status,
    fields.outputHash,
    fields.stateRootBefore,
    fields.stateRootAfter,
    fields.fuelUsed,
  ])
}

/**
 * Digest a result: `keccak256(abi.encode(domain, chainId, verifier, ..., fuelUsed))`.
 * @example resultDigest({ chainId: 31337n, verifier, codeHash, seq: 1n, ... }) // 0xbcb6…
 */
export function resultDigest(fields: ResultFields): Hex {
  return keccak256(encodeResultFields(fields))
}
