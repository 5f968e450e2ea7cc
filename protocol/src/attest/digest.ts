// The result digest (docs/protocol.md §1): keccak256 of the ABI encoding of a domain tag and the
// result fields. Protocol v2 adds the function id, so two functions deployed with the same code
// (same code hash, same seq, same empty root at the start) can no longer swap results; v1 results
// (no function id) still digest as before, so everything signed under v1 keeps verifying. The
// Solidity verifier recomputes exactly this.
// viem/utils, not viem: the root entry loads ~340 modules, a third of a second of `nexus verify`.
import { encodeAbiParameters, toBytes } from 'viem/utils'
import type { Address, Hex } from 'viem'
import { keccak256 } from '../hash/keccak.ts'
import { abiWords, putAddress, putBytes32, putUint } from '../hash/abi-words.ts'
import type { StatusCode } from '../status.ts'

/** The signed fields of a result. `functionId` present: protocol v2; absent: protocol v1. */
export type ResultFields = {
  chainId: bigint
  verifier: Address
  /** The gateway's function id (UTF-8 string); the digest binds `keccak256(utf8(functionId))`. */
  functionId?: string
  codeHash: Hex
  seq: bigint
  inputHash: Hex
  status: StatusCode
  outputHash: Hex
  stateRootBefore: Hex
  stateRootAfter: Hex
  fuelUsed: bigint
}

export const RESULT_PROTOCOL = 'nexus.result.v1'
/** keccak256("nexus.result.v1") = 0x7a9001493b650650598bb69351c70f82fa0c38949ba2a0bf31ed45152cb667e3 */
export const RESULT_DOMAIN: Hex = keccak256(toBytes(RESULT_PROTOCOL))
export const RESULT_PROTOCOL_V2 = 'nexus.result.v2'
/** keccak256("nexus.result.v2") = 0x5b9925a5755da8df403c0e4d14382a942136f763781f2568ffaea0aac7e6dce4 */
export const RESULT_DOMAIN_V2: Hex = keccak256(toBytes(RESULT_PROTOCOL_V2))

export type ResultProtocol = typeof RESULT_PROTOCOL | typeof RESULT_PROTOCOL_V2

/** The protocol a set of fields digests under: v2 when it names a function. */
export function resultProtocol(fields: Pick<ResultFields, 'functionId'>): ResultProtocol {
  return fields.functionId === undefined ? RESULT_PROTOCOL : RESULT_PROTOCOL_V2
}

const functionIdHashes = new Map<string, Hex>()

/**
 * `keccak256(utf8(functionId))`: what the v2 digest (and the Solidity struct's `functionIdHash`) holds.
 * @example functionIdHash('wordfreq-count') // 0xc35ff11a…
 */
export function functionIdHash(functionId: string): Hex {
  let hash = functionIdHashes.get(functionId)
  if (hash === undefined) {
    hash = keccak256(toBytes(functionId))
    // A node serves few functions; the bound only keeps a flood of ids from growing it.
    if (functionIdHashes.size >= 4096) functionIdHashes.clear()
    functionIdHashes.set(functionId, hash)
  }
  return hash
}

const tail = [
  { type: 'bytes32' }, // codeHash
  { type: 'uint64' }, // seq
  { type: 'bytes32' }, // inputHash
  { type: 'uint8' }, // status
  { type: 'bytes32' }, // outputHash
  { type: 'bytes32' }, // stateRootBefore
  { type: 'bytes32' }, // stateRootAfter
  { type: 'uint64' }, // fuelUsed
] as const
const v1Parameters = [{ type: 'bytes32' }, { type: 'uint256' }, { type: 'address' }, ...tail] as const
// The function id sits between verifier and codeHash: that is the order the independent
// implementation's vectors (../shared/vectors/protocol-v2.json) were made with (docs/protocol.md §1).
const v2Parameters = [{ type: 'bytes32' }, { type: 'uint256' }, { type: 'address' }, { type: 'bytes32' }, ...tail] as const

const tailValues = (f: ResultFields) => [f.codeHash, f.seq, f.inputHash, f.status, f.outputHash, f.stateRootBefore, f.stateRootAfter, f.fuelUsed] as const

/**
 * The `abi.encode(domain, ...fields)` that the digest hashes: 352 bytes for v1, 384 for v2
 * (`abi.encode(domain, chainId, verifier, functionIdHash, codeHash, seq, …, fuelUsed)`).
 */
export function encodeResultFields(fields: ResultFields): Hex {
  if (fields.functionId === undefined) return encodeAbiParameters(v1Parameters, [RESULT_DOMAIN, fields.chainId, fields.verifier, ...tailValues(fields)])
  return encodeAbiParameters(v2Parameters, [RESULT_DOMAIN_V2, fields.chainId, fields.verifier, functionIdHash(fields.functionId), ...tailValues(fields)])
}

/**
 * Digest a result: v2 `keccak256(abi.encode(domainV2, chainId, verifier, keccak256(functionId), codeHash, ..., fuelUsed))`
 * when `fields.functionId` is set, else v1 `keccak256(abi.encode(domain, chainId, verifier, codeHash, ..., fuelUsed))`.
 * @example resultDigest({ chainId: 31337n, verifier, functionId: 'wordfreq-count', codeHash, seq: 1n, ... }) // 0x786a…
 */
export function resultDigest(fields: ResultFields): Hex {
  return keccak256(encodeResultFieldsFast(fields) ?? encodeResultFields(fields))
}

/**
 * encodeResultFields' bytes written directly (abi-words.ts), or undefined when a field is not in
 * the form viem accepts as is: encodeResultFields then encodes it, or throws, as before.
 */
function encodeResultFieldsFast(f: ResultFields): Buffer | undefined {
  const v2 = f.functionId !== undefined
  const out = abiWords(v2 ? 12 : 11)
  let w = 0
  let ok = putBytes32(out, w++, v2 ? RESULT_DOMAIN_V2 : RESULT_DOMAIN) && putUint(out, w++, f.chainId, 256) && putAddress(out, w++, f.verifier)
  if (v2) ok &&= typeof f.functionId === 'string' && putBytes32(out, w++, functionIdHash(f.functionId))
  ok &&=
    putBytes32(out, w++, f.codeHash) &&
    putUint(out, w++, f.seq, 64) &&
    putBytes32(out, w++, f.inputHash) &&
    putUint(out, w++, f.status, 8) &&
    putBytes32(out, w++, f.outputHash) &&
    putBytes32(out, w++, f.stateRootBefore) &&
    putBytes32(out, w++, f.stateRootAfter) &&
    putUint(out, w++, f.fuelUsed, 64)
  return ok ? out : undefined
}
