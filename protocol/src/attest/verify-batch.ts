// Checking many group signatures at once. Signatures under ONE public key batch into one pairing:
// with random weights ρ_k, e(Σ ρ_k σ_k, −G2) · e(Σ ρ_k H(m_k), pk) == 1 holds when every σ_k is
// valid and fails (except with probability 2⁻⁶⁴) when any is not. The gateway uses this to check
// combined signatures off the answer path: one ~13 ms pairing for everything combined meanwhile.
import { pippenger } from '@noble/curves/abstract/curve.js'
import { assertInSubgroup, bls, inSubgroup, pairingCheck as noblePairingCheck, type G1Point, type G2Point, type PairingCheck } from './points.ts'
import type { G1Multiply } from './wasm-g1.ts'

export type SignatureToCheck = { hashed: G1Point; signature: G1Point }

/**
 * Indices of the items whose signature does not verify under `publicKey` (empty: all valid).
 * `multiply`: a faster k·P for the random weighting (wasm-loader.ts); noble's takes ≈ 0.2 ms per
 * point and weight here, most of a 10-signature group's cost besides the pairing. `pairingCheck`: a
 * faster pairing (the WebAssembly curve's), noble's by default.
 */
export function findInvalidSignatures(
  items: readonly SignatureToCheck[],
  publicKey: G2Point,
  options: { multiply?: G1Multiply; pairingCheck?: PairingCheck } = {},
): number[] {
  const pairingCheck = options.pairingCheck ?? noblePairingCheck
  const invalid: number[] = []
  const candidates: number[] = []
  items.forEach((item, k) => {
    // A random combination cannot be trusted to cancel small-order components: check each σ alone.
    try {
      if (item.signature.is0()) throw new Error('infinity')
      assertInSubgroup(item.signature)
      candidates.push(k)
    } catch {
      invalid.push(k)
    }
  })
  if (candidates.length === 0) return invalid
  if (
    candidates.length === 1 ||
    batchHolds(
      candidates.map((k) => items[k]!),
      publicKey,
      pairingCheck,
      options.multiply,
    )
  ) {
    if (candidates.length === 1 && !pairingCheck(items[candidates[0]!]!.signature, items[candidates[0]!]!.hashed, publicKey)) invalid.push(candidates[0]!)
    return invalid.sort((a, b) => a - b)
  }
  for (const k of candidates) if (!pairingCheck(items[k]!.signature, items[k]!.hashed, publicKey)) invalid.push(k)
  return invalid.sort((a, b) => a - b)
}

function batchHolds(items: readonly SignatureToCheck[], publicKey: G2Point, pairingCheck: PairingCheck, multiply?: G1Multiply): boolean {
  const weights = [...crypto.getRandomValues(new BigUint64Array(items.length))].map((w) => w | 1n)
  // Sums of points that are each in the subgroup (checked above, or hash outputs) are in it too.
  const sum = (points: G1Point[]) =>
    inSubgroup(
      (multiply
        ? points.reduce((acc, p, k) => acc.add(multiply(p, weights[k]!)), bls.G1.Point.ZERO)
        : points.length <= 8
          ? points.reduce((acc, p, k) => acc.add(p.multiplyUnsafe(weights[k]!)), bls.G1.Point.ZERO)
          : pippenger(bls.G1.Point, points, weights)) as G1Point,
    )
  return pairingCheck(sum(items.map((x) => x.signature)), sum(items.map((x) => x.hashed)), publicKey)
}
