// Gateway side: combine any t signature shares into the group signature by Lagrange
// interpolation at 0. Optimistic: combine first, verify each share only if the result is wrong.
import { pippenger } from '@noble/curves/abstract/curve.js'
import type { Hex } from 'viem'
import { BadShareError, KeygenError, MalformedPointError, PointNotInSubgroupError, TooFewSignersError } from './errors.ts'
import { decodeNetwork, type Network } from './network.ts'
import { bls, decodeG1, encodeG1, hashToG1, pairingCheck, type G1Point } from './points.ts'
import type { SignatureShare } from './sign.ts'

const Fr = bls.fields.Fr

/** λ_i = Π_{j≠i} j / (j − i) mod r, for each index in `indices` (distinct, non-zero). */
export function lagrangeCoefficients(indices: readonly number[]): bigint[] {
  const xs = indices.map(BigInt)
  const numerators: bigint[] = []
  const denominators: bigint[] = []
  for (let a = 0; a < xs.length; a++) {
    let num = 1n
    let den = 1n
    for (let b = 0; b < xs.length; b++) {
      if (a === b) continue
      num = Fr.mul(num, xs[b]!)
      den = Fr.mul(den, Fr.sub(xs[b]!, xs[a]!))
    }
    numerators.push(num)
    denominators.push(den)
  }
  const inverses = Fr.invertBatch(denominators)
  return numerators.map((num, k) => Fr.mul(num, inverses[k]!))
}

/** σ = Σ λ_i σ_i over exactly the given shares (no checks). */
export function interpolate(shares: readonly { index: number; point: G1Point }[]): G1Point {
  const lambdas = lagrangeCoefficients(shares.map((s) => s.index))
  // Few shares: plain variable-time multiplications are ~2.5× faster than Pippenger's buckets
  // (shares and coefficients are public, so variable time leaks nothing).
  if (shares.length <= 8) return shares.reduce((sum, s, k) => sum.add(s.point.multiplyUnsafe(lambdas[k]!)), bls.G1.Point.ZERO) as G1Point
  return pippenger(bls.G1.Point, shares.map((s) => s.point), lambdas) as G1Point
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

/**
 * Combine signature shares over `message` into the group signature. Decodes every share, combines
 * the first `t`, and checks the result once; only if it fails is each share checked against its
 * share public key and the bad ones excluded. Throws `TooFewSignersError` with fewer than `t` valid shares.
 * @example const { signature, signers, rejected } = combineShares(digest, shares, network)
 */
export function combineShares(message: Hex, shares: readonly SignatureShare[], network: Network, options: { hashed?: G1Point } = {}): CombineSharesReturnType {
  const keys = decodeNetwork(network)
  // A caller that already hashed the message (e.g. while waiting for the last share) passes it in.
  const hashed = options.hashed ?? hashToG1(message)
  const rejected: { index: number; reason: string }[] = []
  const candidates: { index: number; point: G1Point }[] = []
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
      candidates.push({ index: share.index, point: decodeG1(share.signature, `share of replica ${share.index}`) })
    } catch (err) {
      rejected.push({ index: share.index, reason: reasonOf(err) })
    }
  }
  if (candidates.length < network.t) throw new TooFewSignersError(candidates.length, network.t, rejected)

  const finish = (chosen: { index: number; point: G1Point }[], signature: G1Point): CombineSharesReturnType => ({
    signature: encodeG1(signature),
    signers: chosen.map((s) => s.index).sort((a, b) => a - b),
    rejected,
  })

  const optimistic = candidates.slice(0, network.t)
  const combined = interpolate(optimistic)
  if (pairingCheck(combined, hashed, keys.group)) return finish(optimistic, combined)

  // Slow path: someone lied. Check every share against its own key and keep the good ones.
  const good: { index: number; point: G1Point }[] = []
  for (const candidate of candidates) {
    if (pairingCheck(candidate.point, hashed, keys.shares.get(candidate.index)!)) good.push(candidate)
    else rejected.push({ index: candidate.index, reason: new BadShareError(candidate.index, 'does not verify against its share public key').shortMessage })
  }
  if (good.length < network.t) throw new TooFewSignersError(good.length, network.t, rejected)
  const chosen = good.slice(0, network.t)
  const signature = interpolate(chosen)
  // Cannot fail when the share keys derive from the group key's commitments; guards a bad network file.
  if (!pairingCheck(signature, hashed, keys.group))
    throw new KeygenError('network: shares valid under their share public keys do not combine to groupPublicKey (inconsistent network file)')
  return finish(chosen, signature)
}
