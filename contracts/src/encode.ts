// Conversions between the Nexus wire formats (compressed ZCash/IETF points, JSON result fields)
// and what the contracts take (EIP-2537 uncompressed points, the NexusResult tuple).
import { bls12_381 } from '@noble/curves/bls12-381.js'
import { bytesToHex, hexToBytes, isHex, keccak256, toBytes, zeroHash, type Address, type Hex } from 'viem'
import { NexusError } from '@nexus/protocol'

export class PointEncodingError extends NexusError {
  override name = 'PointEncodingError'
  override code = 'NEXUS_CONTRACTS_POINT_ENCODING'
}

export class ResultEncodingError extends NexusError {
  override name = 'ResultEncodingError'
  override code = 'NEXUS_CONTRACTS_RESULT_ENCODING'
}

const Fp = bls12_381.fields.Fp
const Fp2 = bls12_381.fields.Fp2
const P = Fp.ORDER
const pad64 = (x: bigint) => x.toString(16).padStart(128, '0')

function flagsAndX(compressed: Hex, length: 48 | 96, what: string) {
  if (!isHex(compressed)) throw new PointEncodingError(`${what}: not hex`)
  const bytes = hexToBytes(compressed)
  if (bytes.length !== length) throw new PointEncodingError(`${what}: expected ${length} bytes, got ${bytes.length}`)
  const flags = bytes[0]!
  if ((flags & 0x80) === 0) throw new PointEncodingError(`${what}: compression flag not set`)
  const infinity = (flags & 0x40) !== 0
  const sign = (flags & 0x20) !== 0
  bytes[0] = flags & 0x1f
  return { infinity, sign, bytes, rest: bytes.some((b) => b !== 0) }
}

/**
 * Compressed G1 (48 bytes) → EIP-2537 G1 (128 bytes), decompressing without a subgroup check so
 * that contracts can be shown points outside the subgroup. Infinity → 128 zero bytes.
 */
export function g1ToEip2537(compressed: Hex): Hex {
  const { infinity, sign, bytes, rest } = flagsAndX(compressed, 48, 'G1 point')
  if (infinity) {
    if (sign || rest) throw new PointEncodingError('G1 point: non-canonical infinity')
    return `0x${'00'.repeat(128)}`
  }
  const x = BigInt(bytesToHex(bytes))
  if (x >= P) throw new PointEncodingError('G1 point: x is not a field element')
  const rhs = Fp.add(Fp.mul(Fp.sqr(x), x), 4n)
  let y: bigint
  try {
    y = Fp.sqrt(rhs)
  } catch (cause) {
    throw new PointEncodingError('G1 point: x is not on the curve', { cause })
  }
  if (y > (P - 1n) / 2n !== sign) y = Fp.neg(y)
  return `0x${pad64(x)}${pad64(y)}`
}

/** Compressed G2 (96 bytes, c1 first) → EIP-2537 G2 (256 bytes: x.c0, x.c1, y.c0, y.c1). */
export function g2ToEip2537(compressed: Hex): Hex {
  flagsAndX(compressed, 96, 'G2 point')
  let point
  try {
    point = bls12_381.G2.Point.fromHex(compressed.slice(2))
  } catch (cause) {
    throw new PointEncodingError('G2 point: invalid', { cause })
  }
  if (point.is0()) return `0x${'00'.repeat(256)}`
  const { x, y } = point.toAffine()
  return `0x${pad64(x.c0)}${pad64(x.c1)}${pad64(y.c0)}${pad64(y.c1)}`
}

/** EIP-2537 G1 (128 bytes) → compressed (48 bytes). */
export function g1FromEip2537(encoded: Hex): Hex {
  const b = hexToBytes(encoded)
  if (b.length !== 128) throw new PointEncodingError(`G1 point: expected 128 bytes, got ${b.length}`)
  const x = BigInt(bytesToHex(b.subarray(0, 64)))
  const y = BigInt(bytesToHex(b.subarray(64)))
  if (x === 0n && y === 0n) return `0xc0${'00'.repeat(47)}`
  const out = hexToBytes(`0x${x.toString(16).padStart(96, '0')}`)
  out[0]! |= 0x80 | (y > (P - 1n) / 2n ? 0x20 : 0)
  return bytesToHex(out)
}

/** The NexusResult tuple as viem wants it, from JSON-ish fields (decimal strings or numbers). */
export type ContractResult = {
  chainId: bigint
  verifier: Address
  /** keccak256(utf8(functionId)) for a protocol-v2 result, zero for a v1 result. */
  functionIdHash: Hex
  codeHash: Hex
  seq: bigint
  inputHash: Hex
  status: number
  outputHash: Hex
  stateRootBefore: Hex
  stateRootAfter: Hex
  fuelUsed: bigint
}

export type ResultFieldsLike = {
  chainId: bigint | number | string
  verifier: string
  /** Protocol v2: the function id, and/or its hash (as the result JSON carries both). Absent: v1. */
  functionId?: string
  functionIdHash?: string
  codeHash: string
  seq: bigint | number | string
  inputHash: string
  status: number
  outputHash: string
  stateRootBefore: string
  stateRootAfter: string
  fuelUsed: bigint | number | string
}

/** The struct's `functionIdHash`: from `functionId` (checked against `functionIdHash` when both are given), zero for v1. */
function functionIdHashOf(f: ResultFieldsLike): Hex {
  const given = f.functionIdHash?.toLowerCase() as Hex | undefined
  if (f.functionId === undefined) return given ?? zeroHash
  const hash = keccak256(toBytes(f.functionId))
  if (given !== undefined && given !== hash) throw new ResultEncodingError(`functionIdHash ${given} is not keccak256(utf8(${JSON.stringify(f.functionId)}))`)
  return hash
}

/** Normalises result fields (ResultFields from the attestation module, or JSON; v1 or v2) for a contract call. */
export function toContractResult(f: ResultFieldsLike): ContractResult {
  return {
    chainId: BigInt(f.chainId),
    verifier: f.verifier as Address,
    functionIdHash: functionIdHashOf(f),
    codeHash: f.codeHash as Hex,
    seq: BigInt(f.seq),
    inputHash: f.inputHash as Hex,
    status: f.status,
    outputHash: f.outputHash as Hex,
    stateRootBefore: f.stateRootBefore as Hex,
    stateRootAfter: f.stateRootAfter as Hex,
    fuelUsed: BigInt(f.fuelUsed),
  }
}

/** Re-export for callers that need Fp2 (e.g. to build custom G2 points in tests). */
export { Fp, Fp2 }

/** What the gateway serves (docs/protocol.md §5), reduced to what the contracts need. */
export type AttestedResultLike = {
  fields: ResultFieldsLike
  output: Hex
  signature: Hex
  batch?: { root: Hex; index: number; size: number; proof: Hex[] }
}

/**
 * Arguments for `NexusInbox.fulfil` / `NexusVerifier.verify` from an attested result JSON.
 * @example inbox.write.fulfil([requestId, ...Object.values(toFulfilArgs(attested))])
 */
export function toFulfilArgs(attested: AttestedResultLike): { result: ContractResult; output: Hex; signature: Hex } {
  return { result: toContractResult(attested.fields), output: attested.output, signature: g1ToEip2537(attested.signature) }
}

/** The `BatchProof` tuple for `verifyInBatch` / `fulfilInBatch`. */
export function toBatchProof(batch: { root: Hex; index: number; size: number; proof: readonly Hex[] }) {
  return { root: batch.root, index: BigInt(batch.index), size: BigInt(batch.size), siblings: [...batch.proof] }
}
