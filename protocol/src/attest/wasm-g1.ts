// G1 scalar multiplication in WebAssembly: ffjavascript's BLS12-381 engine (the one snarkjs proves
// with), ≈ 0.45 ms against ≈ 2.1 ms for noble's constant-time bigint multiply on these machines.
// Used where curve work sits on an invocation's path: a replica's share signature (wasm-signer.ts),
// the gateway's combination when its Lagrange coefficients are not integers, and the hash and
// subgroup check of the gateway's deferred signature check (createWasmCurve).
//
// Licence: ffjavascript is GPL-3.0. Like snarkjs it stays out of the attest entry point: callers
// reach this module through wasm-loader.ts (a dynamic import) and fall back to noble without it.
//
// Timing: wasmcurves multiplies by NAF double-and-add, so its sequence of operations depends on the
// scalar only, not on the point. Callers with a secret scalar use one fixed scalar for every point
// (a replica's sk·h_eff), so timing can reveal at most that one sequence's length, not key bits.
import { buildBls12381, type WasmBls12381 } from 'ffjavascript'
import type { Hex } from 'viem'
import { G1_EFFECTIVE_COFACTOR, hashToCurveG1BeforeClearing, type BaseField } from './hash-to-g1.ts'
import {
  assertPairingInputs,
  bls,
  CURVE_ORDER,
  decodeG1OnCurve,
  inSubgroup,
  messageBytes,
  NEG_G2,
  NEXUS_DST,
  type G1Point,
  type G2Point,
  type PairingCheck,
} from './points.ts'

/** k·P for any point on the curve (in the subgroup or not) and any non-negative k. */
export type G1Multiply = (point: G1Point, scalar: bigint) => G1Point

let engine: Promise<WasmBls12381> | undefined

/** Build the engine (once per process, ≈ 0.3 s) and return its multiplication. */
export async function createWasmG1Multiply(): Promise<G1Multiply> {
  const { G1 } = await (engine ??= buildBls12381(true))
  const input = new Uint8Array(96)
  const output = new Uint8Array(96)
  return (point, scalar) => {
    if (scalar < 0n) throw new RangeError('scalar must be non-negative')
    if (point.is0() || scalar === 0n) return bls.G1.Point.ZERO as G1Point
    const { x, y } = point.toAffine()
    writeBigEndian(input, 0, x)
    writeBigEndian(input, 48, y)
    const product = G1.timesScalar(G1.fromRprUncompressed(input, 0), toLittleEndian(scalar))
    if (G1.isZero(product)) return bls.G1.Point.ZERO as G1Point
    G1.toRprUncompressed(output, 0, G1.toAffine(product))
    return bls.G1.Point.fromAffine({ x: readBigEndian(output, 0), y: readBigEndian(output, 48) }) as G1Point
  }
}

/** The curve work on an invocation's path, accelerated (results identical to noble's). */
export type WasmCurve = {
  multiply: G1Multiply
  /** hash_to_curve up to Q_0 + Q_1 with the Nexus DST, the map's pow/inv in WebAssembly (a signer folds h_eff into its key). */
  hashBeforeClearing(message: Hex | Uint8Array): G1Point
  /** hashToG1 (points.ts) with the map's pow/inv and the cofactor clearing in WebAssembly: ≈ 0.5 vs 1.1 ms. */
  hashToG1(message: Hex | Uint8Array): G1Point
  /** Is r·P = O, i.e. is the on-curve point P in the prime-order subgroup: ≈ 0.45 vs 1.1 ms. */
  isInSubgroup(point: G1Point): boolean
  /** points.ts `pairingCheck`, same answers and the same errors, Miller loops and final exponentiation here: ≈ 5 vs 15–25 ms. */
  pairingCheck: PairingCheck
  /** points.ts `decodeG1OnCurve` with the square root in WebAssembly (a share's decoding, on the answer path). */
  decodeG1OnCurve(value: unknown, what?: string): G1Point
}

export async function createWasmCurve(): Promise<WasmCurve> {
  const [multiply, field, pairing] = await Promise.all([createWasmG1Multiply(), createWasmBaseField(), createWasmPairing()])
  const hashBeforeClearing = (message: Hex | Uint8Array) => hashToCurveG1BeforeClearing(messageBytes(message), NEXUS_DST, field) as G1Point
  // E(Fp) has order h·r with gcd(h, r) = 1, so its points killed by r are exactly the subgroup.
  const isInSubgroup = (point: G1Point) => multiply(point, CURVE_ORDER).is0()
  return {
    multiply,
    hashBeforeClearing,
    hashToG1: (message) => inSubgroup(multiply(hashBeforeClearing(message), G1_EFFECTIVE_COFACTOR)),
    isInSubgroup,
    decodeG1OnCurve: (value, what) => decodeG1OnCurve(value, what, field),
    pairingCheck: (signature, hashed, publicKey) => {
      assertPairingInputs([signature, hashed], isInSubgroup)
      return pairing(signature, hashed, publicKey)
    },
  }
}

/**
 * e(σ, −G2) · e(H, pk) == 1 for points already known to be valid: both Miller loops, their
 * product and one final exponentiation in the engine. The G2 side is fixed in practice (−G2 and the
 * group key), so its prepared lines are kept per point, as noble's pairingCheck keeps its own.
 */
async function createWasmPairing(): Promise<(signature: G1Point, hashed: G1Point, publicKey: G2Point) => boolean> {
  const curve = await (engine ??= buildBls12381(true))
  const { G1, G2, Gt } = curve
  const g1Input = new Uint8Array(96)
  const prepared = new WeakMap<G2Point, Uint8Array>()
  const prepareG2 = (point: G2Point) => {
    let lines = prepared.get(point)
    if (!lines) {
      if (point.is0()) throw new Error('pairing is not available for ZERO point')
      point.assertValidity()
      // noble's uncompressed G2 encoding (x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0, big-endian) is the engine's.
      lines = curve.prepareG2(G2.toJacobian(G2.fromRprUncompressed(point.toBytes(false), 0)))
      prepared.set(point, lines)
    }
    return lines
  }
  const prepareG1 = (point: G1Point) => {
    const { x, y } = point.toAffine()
    writeBigEndian(g1Input, 0, x)
    writeBigEndian(g1Input, 48, y)
    return curve.prepareG1(G1.toJacobian(G1.fromRprUncompressed(g1Input, 0)))
  }
  return (signature, hashed, publicKey) => {
    const product = Gt.mul(curve.millerLoop(prepareG1(signature), prepareG2(NEG_G2)), curve.millerLoop(prepareG1(hashed), prepareG2(publicKey)))
    return Gt.eq(curve.finalExponentiation(product), Gt.one)
  }
}

/**
 * The BLS12-381 base field as noble's helpers use it, with pow and inv computed by the engine
 * (≈ 0.09 vs 0.2 ms per 381-bit exponentiation). hash-to-G1's square-root ratio is one pow per
 * map_to_curve, and the isogeny's denominators are inversions. Every other operation is noble's.
 */
export async function createWasmBaseField(): Promise<BaseField> {
  const { F1 } = await (engine ??= buildBls12381(true))
  const toField = (x: bigint) => F1.toMontgomery(toLittleEndian(x, 48))
  const fromField = (a: Uint8Array) => readLittleEndian(F1.fromMontgomery(a))
  const exponents = new Map<bigint, Uint8Array>() // the same few exponents every time
  const Fp = bls.fields.Fp
  return Object.create(Fp, {
    pow: {
      value: (x: bigint, e: bigint): bigint => {
        if (e < 0n) throw new RangeError('negative exponent')
        if (e === 0n) return 1n
        if (x === 0n) return 0n
        let bytes = exponents.get(e)
        if (!bytes) exponents.set(e, (bytes = toLittleEndian(e)))
        return fromField(F1.exp(toField(Fp.create(x)), bytes))
      },
    },
    inv: {
      value: (x: bigint): bigint => {
        if (Fp.create(x) === 0n) throw new Error('invert: expected non-zero number')
        return fromField(F1.inv(toField(Fp.create(x))))
      },
    },
  }) as BaseField
}

/** Little-endian bytes, padded to whole 32-bit words (the engine reads the scalar a word at a time). */
function toLittleEndian(value: bigint, length = Math.max(4, Math.ceil(value.toString(16).length / 8) * 4)): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0, v = value; i < out.length; i++, v >>= 8n) out[i] = Number(v & 0xffn)
  return out
}

function writeBigEndian(out: Uint8Array, offset: number, value: bigint): void {
  for (let i = 47, v = value; i >= 0; i--, v >>= 8n) out[offset + i] = Number(v & 0xffn)
}

function readLittleEndian(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).reverse().toString('hex')}`)
}

function readBigEndian(bytes: Uint8Array, offset: number): bigint {
  return BigInt(`0x${Buffer.from(bytes.subarray(offset, offset + 48)).toString('hex')}`)
}
