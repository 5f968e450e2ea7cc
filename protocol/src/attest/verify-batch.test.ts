import { keccak256, toBytes, toHex, type Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import { createWasmCurve } from './wasm-g1.ts'
import { bls } from './points.ts'
import {
  combineShares,
  combineSharesUnverified,
  dealerKeygen,
  decodeG1,
  decodeG1OnCurve,
  decodeG2,
  findInvalidSignatures,
  hashToG1,
  interpolate,
  lagrangeCoefficients,
  MalformedPointError,
  signShare,
} from './index.ts'

const { network, shares } = dealerKeygen({ t: 3, n: 5, seed: toBytes('verify-batch.test seed') })
const groupKey = decodeG2(network.groupPublicKey)
const digests = Array.from({ length: 6 }, (_, k) => keccak256(toHex(`result ${k}`)))
const signed = (digest: Hex, signers = [1, 2, 3]) =>
  combineShares(
    digest,
    signers.map((i) => signShare(digest, shares[i - 1]!)),
    network,
  ).signature
// On the curve (x = 4) but outside the prime-order G1 subgroup (same point as the vectors use).
const notInSubgroup: Hex = '0x800000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004'

describe('interpolation with small integer coefficients', () => {
  test('equals Σ λ_i σ_i with full Lagrange coefficients for every 3-subset of 5 (and all 5)', () => {
    const digest = digests[0]!
    const points = shares.map((key) => decodeG1(signShare(digest, key).signature))
    const subsets = [
      [1, 2, 3],
      [1, 2, 4],
      [1, 2, 5],
      [1, 3, 4],
      [1, 3, 5],
      [1, 4, 5],
      [2, 3, 4],
      [2, 3, 5],
      [2, 4, 5],
      [3, 4, 5],
      [1, 2, 3, 4, 5],
    ]
    for (const subset of subsets) {
      const lambdas = lagrangeCoefficients(subset)
      const expected = subset.reduce((sum, i, k) => sum.add(points[i - 1]!.multiply(lambdas[k]!)), bls.G1.Point.ZERO)
      expect(interpolate(subset.map((i) => ({ index: i, point: points[i - 1]! }))).equals(expected)).toBe(true)
    }
  })

  test('more than 8 shares (Pippenger over λ mod r) combine to a signature that verifies', () => {
    const big = dealerKeygen({ t: 10, n: 12, seed: toBytes('verify-batch.test big') })
    const digest = digests[1]!
    const shares10 = big.shares.slice(2).map((key) => signShare(digest, key))
    const { signature, signers } = combineShares(digest, shares10, big.network)
    expect(signers).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    expect(findInvalidSignatures([{ hashed: hashToG1(digest), signature: decodeG1(signature) }], decodeG2(big.network.groupPublicKey))).toEqual([])
  })
})

describe('decodeG1OnCurve', () => {
  test('decodes what decodeG1 decodes, keeps off-subgroup points for a later check, rejects the malformed', () => {
    const sig = signShare(digests[0]!, shares[0]!).signature
    expect(decodeG1OnCurve(sig).equals(decodeG1(sig))).toBe(true)
    const odd = decodeG1OnCurve(notInSubgroup)
    expect(() => odd.assertValidity()).toThrow(/subgroup/)
    expect(() => decodeG1OnCurve(`0x${'00'.repeat(48)}`)).toThrow(MalformedPointError) // no compression flag
    expect(() => decodeG1OnCurve(`0xc0${'00'.repeat(47)}`)).toThrow(MalformedPointError) // infinity
    expect(() => decodeG1OnCurve(`0x9f${'ff'.repeat(47)}`)).toThrow(/not a field element/)
    expect(() => decodeG1OnCurve('0x1234')).toThrow(MalformedPointError)
    // x = 1: 1 + 4 = 5 is not a square mod p, so no point has it.
    expect(() => decodeG1OnCurve(`0x80${'00'.repeat(46)}01`)).toThrow(/not a point on the curve/)
  })
})

describe('combineSharesUnverified + findInvalidSignatures', () => {
  test('unverified combination equals the checked one; a batch of valid signatures has no invalid entries', () => {
    const items = digests.map((d, k) => {
      const signers = k % 2 ? [2, 4, 5] : [1, 2, 3]
      const quick = combineSharesUnverified(
        signers.map((i) => signShare(d, shares[i - 1]!)),
        network,
      )
      expect(quick.signature).toBe(signed(d))
      expect(quick.signers).toEqual(signers)
      return { hashed: hashToG1(d), signature: quick.point }
    })
    expect(findInvalidSignatures(items, groupKey)).toEqual([])
    expect(findInvalidSignatures(items.slice(0, 1), groupKey)).toEqual([])
  })

  test('a bad share makes its combination fail, and only that one is reported', async () => {
    const items = digests.map((d) => ({ hashed: hashToG1(d), signature: decodeG1(signed(d)) }))
    // Replica 2 signed another digest for result 3: the combination is well-formed but wrong.
    const d = digests[3]!
    const bad = combineSharesUnverified([signShare(d, shares[0]!), signShare(keccak256(d), shares[1]!), signShare(d, shares[2]!)], network)
    items[3] = { hashed: hashToG1(d), signature: bad.point }
    // Result 5 carries a point outside the subgroup.
    items[5] = { hashed: items[5]!.hashed, signature: decodeG1OnCurve(notInSubgroup) }
    expect(findInvalidSignatures(items, groupKey)).toEqual([3, 5])
    expect(findInvalidSignatures([items[3]!], groupKey)).toEqual([0])
    // The same with the WebAssembly weighting (and with only the wrong one left among valid ones).
    const { multiply } = await createWasmCurve()
    expect(findInvalidSignatures(items, groupKey, { multiply })).toEqual([3, 5])
    expect(
      findInvalidSignatures(
        items.filter((_, k) => k !== 5),
        groupKey,
        { multiply },
      ),
    ).toEqual([3])
    expect(
      findInvalidSignatures(
        items.filter((_, k) => k !== 3 && k !== 5),
        groupKey,
        { multiply },
      ),
    ).toEqual([])
    // Under the wrong key nothing verifies.
    expect(findInvalidSignatures(items.slice(0, 3), decodeG2(network.sharePublicKeys[0]!.publicKey))).toEqual([0, 1, 2])
  })
})
