// Gateway side: combine any t signature shares into the group signature by Lagrange
// interpolation at 0. Optimistic: combine first, verify each share only if the result is wrong.
import { pippenger } from '@noble/curves/abstract/curve.js'
import type { Hex } from 'viem'
import { BadShareError, KeygenError, MalformedPointError, PointNotInSubgroupError, TooFewSignersError } from './errors.ts'
import { decodeNetwork, type Network } from './network.ts'
import { bls, decodeG1OnCurve, encodeG1, hashToG1, pairingCheck as noblePairingCheck, type G1Point, type PairingCheck } from './points.ts'
import type { SignatureShare } from './sign.ts'
import type { G1Multiply } from './wasm-g1.ts'

const Fr = bls.fields.Fr

/** λ_i at 0 as exact integer fractions num_i / den_i (den_i > 0): Π_{j≠i} j / Π_{j≠i} (j − i). */
function lagrangeFractions(indices: readonly number[]): { num: bigint; den: bigint }[] {
  const xs = indices.map(BigInt)
  return xs.map((xi, a) => {
    let num = 1n
    let den = 1n
    xs.forEach((xj, b) => {
      if (a === b) return
      num *= xj
      den *= xj - xi
    })
    return den < 0n ? { num: -num, den: -den } : { num, den }
  })
}

/** λ_i = Π_{j≠i} j / (j − i) mod r, for each index in `indices` (distinct, non-zero). */
export function lagrangeCoefficients(indices: readonly number[]): bigint[] {
  const fractions = lagrangeFractions(indices)
  const inverses = Fr.invertBatch(fractions.map((f) => Fr.create(f.den)))
  return fractions.map((f, k) => Fr.mul(Fr.create(f.num), inverses[k]!))
}

/** σ = Σ λ_i σ_i over exactly the given shares (no checks). `multiply`: a faster k·P (wasm-loader.ts). */
export function interpolate(shares: readonly { index: number; point: G1Point }[], multiply?: G1Multiply): G1Point {
  if (shares.length <= 8) return interpolateSmall(shares, multiply)
  const lambdas = lagrangeCoefficients(shares.map((s) => s.index))
  return pippenger(
    bls.G1.Point,
    shares.map((s) => s.point),
    lambdas,
  ) as G1Point
}

/**
 * Few shares: λ_i are fractions of small integers, so σ = D⁻¹ · Σ c_i σ_i with integers c_i = λ_i·D
 * (D the common denominator, reduced by the gcd). For 3 of 4 the c_i are single digits and D is 1
 * for three of the four signer sets ({1,2,3}: 3, −3, 1): a few doublings instead of t full 255-bit
 * multiplications (~2 ms each here). Shares and indices are public, so variable time leaks nothing.
 */
function interpolateSmall(shares: readonly { index: number; point: G1Point }[], multiply?: G1Multiply): G1Point {
  const fractions = lagrangeFractions(shares.map((s) => s.index))
  const denominator = fractions.reduce((d, f) => (d * f.den) / gcd(d, f.den), 1n)
  let coefficients = fractions.map((f) => f.num * (denominator / f.den))
  const common = coefficients.reduce((g, c) => gcd(g, c), denominator)
  coefficients = coefficients.map((c) => c / common)
  const D = denominator / common
  let sum = bls.G1.Point.ZERO as G1Point
  shares.forEach((s, k) => {
    const c = coefficients[k]!
    const term = s.point.multiplyUnsafe(c < 0n ? -c : c) as G1Point
    sum = sum.add(c < 0n ? term.negate() : term) as G1Point
  })
  if (D === 1n) return sum
  // {1,2,4} of 4 has D = 3: one full multiplication by D⁻¹, ≈ 2 ms in noble, ≈ 0.45 ms with `multiply`.
  return multiply ? multiply(sum, Fr.inv(D)) : (sum.multiplyUnsafe(Fr.inv(D)) as G1Point)
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a
  b = b < 0n ? -b : b
  while (b) [a, b] = [b, a % b]
  return a
}

export type CombineSharesReturnType = {
  signature: Hex
  /** Indices whose shares were combined (sorted). */
  signers: number[]
  /** Shares that were excluded, with the reason (these replicas disagreed or misbehaved). */
  rejected: { index: number; reason: string }[]
}

function reasonOf(err: unknown): string {
  if (err instanceof MalformedPointError || err instanceof PointNotInSubgroupError) return err.shortMessage
  return err instanceof Error ? err.message : String(err)
}

type Candidate = { index: number; point: G1Point }
type Rejection = { index: number; reason: string }

/** points.ts `decodeG1OnCurve`, or the WebAssembly curve's (wasm-loader.ts). */
export type DecodeOnCurve = (value: unknown, what: string) => G1Point

/** Shares with a known, unique index and a well-formed point; the others are rejected with a reason. */
function decodeShares(shares: readonly SignatureShare[], network: Network, decode: DecodeOnCurve) {
  const keys = decodeNetwork(network)
  const rejected: Rejection[] = []
  const candidates: Candidate[] = []
  const seen = new Set<number>()
  for (const share of shares) {
    if (!keys.shares.has(share.index)) {
      rejected.push({ index: share.index, reason: `unknown replica index (network has 1..${network.n})` })
      continue
    }
    if (seen.has(share.index)) {
      rejected.push({ index: share.index, reason: 'duplicate share for this index' })
      continue
    }
    seen.add(share.index)
    try {
      candidates.push({ index: share.index, point: decode(share.signature, `share of replica ${share.index}`) })
    } catch (err) {
      rejected.push({ index: share.index, reason: reasonOf(err) })
    }
  }
  return { keys, candidates, rejected }
}

const finish = (chosen: Candidate[], signature: G1Point, rejected: Rejection[]): CombineSharesReturnType => ({
  signature: encodeG1(signature),
  signers: chosen.map((s) => s.index).sort((a, b) => a - b),
  rejected,
})

/** A pairing check that reports a combined point outside the subgroup as a failed check. */
function pairingHolds(pairingCheck: PairingCheck, signature: G1Point, hashed: G1Point, key: Parameters<PairingCheck>[2]): boolean {
  try {
    return pairingCheck(signature, hashed, key)
  } catch {
    return false
  }
}

/**
 * Combine signature shares over `message` into the group signature. Decodes every share, combines
 * the first `t`, and checks the result once; only if it fails is each share checked against its
 * share public key and the bad ones excluded. Throws `TooFewSignersError` with fewer than `t` valid shares.
 * `multiply` and `pairingCheck`: the WebAssembly curve's (wasm-loader.ts), noble's by default.
 * @example const { signature, signers, rejected } = combineShares(digest, shares, network)
 */
export function combineShares(
  message: Hex,
  shares: readonly SignatureShare[],
  network: Network,
  options: { hashed?: G1Point; multiply?: G1Multiply; pairingCheck?: PairingCheck; decodeOnCurve?: DecodeOnCurve } = {},
): CombineSharesReturnType {
  const pairingCheck = options.pairingCheck ?? noblePairingCheck
  // A caller that already hashed the message (e.g. while waiting for the last share) passes it in.
  const hashed = options.hashed ?? hashToG1(message)
  // Optimistic: shares are only checked to be on the curve; the combined signature's own subgroup
  // and pairing check covers them all at once.
  const { keys, candidates, rejected } = decodeShares(shares, network, options.decodeOnCurve ?? decodeG1OnCurve)
  if (candidates.length < network.t) throw new TooFewSignersError(candidates.length, network.t, rejected)
  const optimistic = candidates.slice(0, network.t)
  const combined = interpolate(optimistic, options.multiply)
  if (pairingHolds(pairingCheck, combined, hashed, keys.group)) return finish(optimistic, combined, rejected)

  // Slow path: someone lied. Check every share strictly against its own key and keep the good ones.
  const good: Candidate[] = []
  for (const candidate of candidates) {
    const what = `share of replica ${candidate.index}`
    try {
      candidate.point.assertValidity()
    } catch (err) {
      rejected.push({ index: candidate.index, reason: new PointNotInSubgroupError(what, { cause: err }).shortMessage })
      continue
    }
    const ok = pairingCheck(candidate.point, hashed, keys.shares.get(candidate.index)!)
    if (ok) good.push(candidate)
    else rejected.push({ index: candidate.index, reason: new BadShareError(candidate.index, 'does not verify against its share public key').shortMessage })
  }
  if (good.length < network.t) throw new TooFewSignersError(good.length, network.t, rejected)
  const chosen = good.slice(0, network.t)
  const signature = interpolate(chosen, options.multiply)
  // Cannot fail when the share keys derive from the group key's commitments; guards a bad network file.
  if (!pairingHolds(pairingCheck, signature, hashed, keys.group))
    throw new KeygenError('network: shares valid under their share public keys do not combine to groupPublicKey (inconsistent network file)')
  return finish(chosen, signature, rejected)
}

/**
 * Combine the first `t` well-formed shares WITHOUT checking the result (no hash-to-curve, no
 * pairing, ~1 ms instead of ~15 ms here). The caller must check it before trusting it, e.g. with
 * `findInvalidSignatures`; a threshold signature is unique, so a combination that verifies is the
 * one every other set of t honest shares would give.
 */
export function combineSharesUnverified(
  shares: readonly SignatureShare[],
  network: Network,
  options: { multiply?: G1Multiply; decodeOnCurve?: DecodeOnCurve } = {},
): CombineSharesReturnType & { point: G1Point } {
  const { candidates, rejected } = decodeShares(shares, network, options.decodeOnCurve ?? decodeG1OnCurve)
  if (candidates.length < network.t) throw new TooFewSignersError(candidates.length, network.t, rejected)
  const chosen = candidates.slice(0, network.t)
  const point = interpolate(chosen, options.multiply)
  return { ...finish(chosen, point, rejected), point }
}
