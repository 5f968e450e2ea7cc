// BLS12-381 points as Nexus uses them: min-sig (signatures in G1, keys in G2), the Nexus DST, strict
// decoding that says which rule a bad point broke, and the uncompressed EIP-2537 form for contracts.
import { bls12_381 } from '@noble/curves/bls12-381.js'
import { bytesToHex, hexToBytes } from 'viem/utils'
import type { Hex } from 'viem'
import { hashToCurveG1, type BaseField } from './hash-to-g1.ts'
import { MalformedPointError, MalformedResultError, PointNotInSubgroupError } from './errors.ts'

export const bls = bls12_381
export type G1Point = ReturnType<typeof bls12_381.G1.Point.fromHex>
export type G2Point = ReturnType<typeof bls12_381.G2.Point.fromHex>

/** Domain separation tag for hash-to-G1 (RFC 9380 suite BLS12381G1_XMD:SHA-256_SSWU_RO_). */
export const NEXUS_DST = 'NEXUS-V1-BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_'
/** Order of G1/G2 (the scalar field Fr). */
export const CURVE_ORDER: bigint = bls12_381.fields.Fr.ORDER

const hexPattern = /^0x(?:[0-9a-fA-F]{2})*$/

/** Parse `0x`-prefixed hex of exactly `length` bytes (or any length when omitted). */
export function parseHexBytes(value: unknown, what: string, length?: number): Uint8Array {
  if (typeof value !== 'string' || !hexPattern.test(value)) throw new MalformedPointError(what, 'expected 0x-prefixed hex with an even number of digits')
  const bytes = hexToBytes(value as Hex)
  if (length !== undefined && bytes.length !== length) throw new MalformedPointError(what, `expected ${length} bytes, got ${bytes.length}`)
  return bytes
}

function decodePoint<P extends { is0(): boolean }>(value: unknown, what: string, length: number, fromBytes: (b: Uint8Array) => P): P {
  const bytes = parseHexBytes(value, what, length)
  const flags = bytes[0]!
  if ((flags & 0x80) === 0) throw new MalformedPointError(what, 'compression flag not set (only compressed points are accepted)')
  if ((flags & 0x40) !== 0) throw new MalformedPointError(what, 'point at infinity')
  let point: P
  try {
    point = fromBytes(bytes)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    if (/subgroup/i.test(message)) throw new PointNotInSubgroupError(what, { cause: err })
    throw new MalformedPointError(what, 'not a point on the curve', { cause: err })
  }
  if (point.is0()) throw new MalformedPointError(what, 'point at infinity')
  return point
}

/** Decode a compressed G1 point (a signature or signature share), rejecting infinity and non-subgroup points. */
export function decodeG1(value: unknown, what = 'signature'): G1Point {
  return decodePoint(value, what, 48, (b) => bls12_381.G1.Point.fromBytes(b))
}

const P_PLUS_1_OVER_4 = (bls12_381.fields.Fp.ORDER + 1n) / 4n

/**
 * Decode a compressed G1 point checking only that it is on the curve, not that it is in the
 * prime-order subgroup (the 1.5 ms half of `decodeG1`). Only for shares that are combined and then
 * checked as a whole: `pairingCheck` asserts the combined signature's subgroup membership.
 * `field`: whose `pow` takes the square root (the WebAssembly one from wasm-g1.ts: ≈ 0.09 vs 0.2 ms).
 */
export function decodeG1OnCurve(value: unknown, what = 'signature', field: BaseField = bls12_381.fields.Fp): G1Point {
  const bytes = parseHexBytes(value, what, 48)
  const flags = bytes[0]!
  if ((flags & 0x80) === 0) throw new MalformedPointError(what, 'compression flag not set (only compressed points are accepted)')
  if ((flags & 0x40) !== 0) throw new MalformedPointError(what, 'point at infinity')
  const Fp = bls12_381.fields.Fp
  const xBytes = bytes.slice()
  xBytes[0] = flags & 0x1f
  const x = BigInt(bytesToHex(xBytes))
  if (x >= Fp.ORDER) throw new MalformedPointError(what, 'x is not a field element')
  // y² = x³ + 4. As p ≡ 3 (mod 4), a square root exists iff rhs^((p+1)/4) squares back to rhs.
  const rhs = Fp.add(Fp.mul(Fp.sqr(x), x), 4n)
  let y = field.pow(rhs, P_PLUS_1_OVER_4)
  if (Fp.sqr(y) !== rhs) throw new MalformedPointError(what, 'not a point on the curve')
  // ZCash encoding: flag 0x20 marks the lexicographically larger of y and −y.
  const larger = y > (Fp.ORDER - 1n) / 2n
  if (larger !== ((flags & 0x20) !== 0)) y = Fp.neg(y)
  return bls12_381.G1.Point.fromAffine({ x, y }) as G1Point
}

/** Decode a compressed G2 point (a group or share public key). */
export function decodeG2(value: unknown, what = 'public key'): G2Point {
  return decodePoint(value, what, 96, (b) => bls12_381.G2.Point.fromBytes(b))
}

/**
 * Compressed (ZCash) encoding: x with flags 0x80 (compressed), 0x40 (infinity), 0x20 (y is the
 * larger root). Written out because noble's toBytes re-checks subgroup membership (≈ 1.5 ms) on
 * every call; a signature a replica has just computed is in the subgroup by construction, and a
 * combined one is checked where it is verified, never where it is encoded.
 */
export function encodeG1(point: G1Point): Hex {
  if (point.is0()) return `0xc0${'00'.repeat(47)}`
  const { x, y } = point.toAffine()
  const flags = 0x80 | (y > (bls12_381.fields.Fp.ORDER - 1n) / 2n ? 0x20 : 0)
  const hex = x.toString(16).padStart(96, '0')
  return `0x${(parseInt(hex.slice(0, 2), 16) | flags).toString(16).padStart(2, '0')}${hex.slice(2)}`
}

export function encodeG2(point: G2Point): Hex {
  return bytesToHex(point.toBytes(true))
}

/** Hash a 32-byte message (digest or batch root) to G1 with the Nexus DST. */
export function hashToG1(message: Hex | Uint8Array): G1Point {
  return inSubgroup(hashToCurveG1(messageBytes(message), NEXUS_DST) as G1Point)
}

/** The bytes of a message to sign: a digest or batch root, 32 bytes. */
export function messageBytes(message: Hex | Uint8Array): Uint8Array {
  return typeof message === 'string' ? parseHexBytes(message, 'message', 32) : message
}

// Points known to be in the prime-order subgroup because of how they were made (hash outputs and
// sums of checked points), so pairingCheck need not spend ≈ 1.5 ms proving it again.
const knownInSubgroup = new WeakSet<object>()
/** Record that `point` is in the subgroup by construction; returns it. */
export function inSubgroup<P extends G1Point>(point: P): P {
  knownInSubgroup.add(point)
  return point
}
/**
 * Throws unless `point` is in the G1 subgroup (free for points made by hashToG1 or marked by
 * inSubgroup). `isInSubgroup`: a faster test than noble's (the WebAssembly curve's); a point it
 * accepts is remembered.
 */
export function assertInSubgroup(point: G1Point, isInSubgroup?: (point: G1Point) => boolean): void {
  if (knownInSubgroup.has(point)) return
  if (!isInSubgroup) {
    point.assertValidity()
    return
  }
  if (!isInSubgroup(point)) throw new Error('invalid point: not in prime-order subgroup')
  knownInSubgroup.add(point)
}

/** A pairing check's conditions on its G1 points: none is infinity, all are in the subgroup (see assertInSubgroup). */
export function assertPairingInputs(points: G1Point[], isInSubgroup?: (point: G1Point) => boolean): void {
  for (const g1 of points) {
    if (g1.is0()) throw new Error('pairing is not available for ZERO point')
    assertInSubgroup(g1, isInSubgroup)
  }
}

const pad64 = (x: bigint) => x.toString(16).padStart(128, '0')

/** Uncompressed EIP-2537 G1 encoding: 64-byte padded x ‖ y. */
export function g1ToEip2537(point: G1Point): Hex {
  const { x, y } = point.toAffine()
  return `0x${pad64(x)}${pad64(y)}`
}

/** Uncompressed EIP-2537 G2 encoding: x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1, each 64-byte padded. */
export function g2ToEip2537(point: G2Point): Hex {
  const { x, y } = point.toAffine()
  return `0x${pad64(x.c0)}${pad64(x.c1)}${pad64(y.c0)}${pad64(y.c1)}`
}

/** hash-to-G1 of a message in the form the EIP-2537 precompiles and the vectors use. */
export function hashToG1Eip2537(message: Hex): Hex {
  return g1ToEip2537(hashToG1(message))
}

type MillerPrecompute = ReturnType<typeof bls12_381.utils.calcPairingPrecomputes>
// The G2 side of both Miller loops is fixed in practice (−G2 and the group or share keys), so its
// line coefficients are computed once per point and reused: ≈ 30 % of a verification.
const precomputes = new WeakMap<G2Point, MillerPrecompute>()
function g2Precompute(point: G2Point): MillerPrecompute {
  let pre = precomputes.get(point)
  if (!pre) {
    if (point.is0()) throw new Error('pairing is not available for ZERO point')
    point.assertValidity()
    pre = bls12_381.utils.calcPairingPrecomputes(point)
    precomputes.set(point, pre)
  }
  return pre
}
export const NEG_G2 = bls12_381.G2.Point.BASE.negate()

/** e(σ, G2) == e(H(m), pk): noble's `pairingCheck` below, or the WebAssembly one (wasm-g1.ts). */
export type PairingCheck = (signature: G1Point, hashed: G1Point, publicKey: G2Point) => boolean

/**
 * e(σ, G2) == e(H(m), pk), as one multi-pairing e(σ, −G2) · e(H(m), pk) == 1. Both G1 points are
 * checked to be in the subgroup (noble remembers points it already checked, e.g. hash outputs);
 * a point outside it throws.
 */
export function pairingCheck(signature: G1Point, hashed: G1Point, publicKey: G2Point): boolean {
  assertPairingInputs([signature, hashed])
  const s = signature.toAffine()
  const h = hashed.toAffine()
  const gt = bls12_381.fields.Fp12.finalExponentiate(
    bls12_381.millerLoopBatch([
      [g2Precompute(NEG_G2), s.x, s.y],
      [g2Precompute(publicKey), h.x, h.y],
    ]),
  )
  return bls12_381.fields.Fp12.eql(gt, bls12_381.fields.Fp12.ONE)
}

/** Scalar (32-byte big-endian hex) → bigint in [1, r). */
export function parseScalar(value: unknown, what = 'secret key'): bigint {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(value)) throw new MalformedResultError(what, 'expected 32 bytes of hex')
  const k = BigInt(value)
  if (k === 0n || k >= CURVE_ORDER) throw new MalformedResultError(what, 'scalar must be in [1, r)')
  return k
}

export function encodeScalar(k: bigint): Hex {
  return `0x${k.toString(16).padStart(64, '0')}`
}
