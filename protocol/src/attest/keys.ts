// Dealer key generation (docs/protocol.md §3): Shamir shares of a random secret over Fr with
// Feldman commitments, so each replica can check its share and anyone can derive share keys.
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from 'viem/utils'
import type { Hex } from 'viem'
import { KeygenError } from './errors.ts'
import { assertThreshold, deriveSharePublicKey, type Network, networkFromCommitments } from './network.ts'
import { bls, CURVE_ORDER, encodeScalar, parseScalar, type G2Point } from './points.ts'

/** One replica's secret share: index 1..n and f(index) as 32-byte big-endian hex. */
export type ShareKey = { index: number; secretKey: Hex }

const Fr = bls.fields.Fr
const encoder = new TextEncoder()

/** A source of scalars in [1, r): from a seed (deterministic, HKDF-SHA256) or from the OS CSPRNG. */
export type ScalarSource = () => bigint

export function createScalarSource(seed?: Uint8Array, label = 'nexus-dealer-v1'): ScalarSource {
  let counter = 0
  return () => {
    for (;;) {
      // 48 bytes reduced mod r: bias below 2^-128 (same length rule as RFC 9380 hash_to_field).
      const bytes = seed
        ? hkdf(sha256, seed, encoder.encode(label), encoder.encode(`coefficient ${counter++}`), 48)
        : crypto.getRandomValues(new Uint8Array(48))
      const k = BigInt(bytesToHex(bytes)) % CURVE_ORDER
      if (k !== 0n) return k
    }
  }
}

/** f(x) = Σ a_k x^k mod r, by Horner's rule. */
export function evalPolynomial(coefficients: readonly bigint[], x: bigint): bigint {
  let acc = 0n
  for (let k = coefficients.length - 1; k >= 0; k--) acc = Fr.add(Fr.mul(acc, x), coefficients[k]!)
  return acc
}

/** Feldman commitments C_k = a_k · G2. */
export function commitPolynomial(coefficients: readonly bigint[]): G2Point[] {
  return coefficients.map((a) => bls.G2.Point.BASE.multiply(a) as G2Point)
}

/** The public key of a share: sk · G2. */
export function sharePublicKey(share: ShareKey): G2Point {
  return bls.G2.Point.BASE.multiply(parseScalar(share.secretKey, `secret key of replica ${share.index}`)) as G2Point
}

/** Replica-side Feldman check: does f(index) · G2 equal Σ index^k · C_k? */
export function verifyShareAgainstCommitments(share: ShareKey, commitments: readonly G2Point[]): boolean {
  return sharePublicKey(share).equals(deriveSharePublicKey(commitments, share.index))
}

export type DealerKeygenParameters = { t: number; n: number; seed?: Uint8Array }
export type DealerKeygenReturnType = { network: Network; shares: ShareKey[]; commitments: Hex[] }

/**
 * Trusted-dealer t-of-n key generation. With a `seed` the result is deterministic (tests, demos);
 * without one, coefficients come from the OS CSPRNG.
 * @example const { network, shares } = dealerKeygen({ t: 3, n: 4 })
 */
export function dealerKeygen({ t, n, seed }: DealerKeygenParameters): DealerKeygenReturnType {
  assertThreshold(t, n)
  const next = createScalarSource(seed)
  const coefficients = Array.from({ length: t }, () => next())
  const commitmentPoints = commitPolynomial(coefficients)
  const network = networkFromCommitments(t, n, commitmentPoints)
  const shares: ShareKey[] = []
  for (let index = 1; index <= n; index++) {
    const sk = evalPolynomial(coefficients, BigInt(index))
    if (sk === 0n) throw new KeygenError(`share ${index} is zero; retry with another seed`)
    shares.push({ index, secretKey: encodeScalar(sk) })
  }
  return { network, shares, commitments: network.commitments! }
}
