import { bls12_381 } from '@noble/curves/bls12-381.js'
import { keccak256, toBytes, type Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import {
  combineShares,
  createAttestedResult,
  dealerKeygen,
  decodeG1,
  decodeG2,
  encodeG1,
  interpolate,
  NEXUS_DST,
  resultDigest,
  signShare,
  verifyResult,
  type ResultFields,
  type SignatureShare,
} from './index.ts'

const seed = toBytes('combine.test seed')
const { network, shares } = dealerKeygen({ t: 3, n: 5, seed })
const output: Hex = '0x68656c6c6f'
const fields: ResultFields = {
  chainId: 31337n,
  verifier: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  codeHash: keccak256(toBytes('code')),
  seq: 7n,
  inputHash: keccak256(toBytes('input')),
  status: 0,
  outputHash: keccak256(output),
  stateRootBefore: keccak256(toBytes('before')),
  stateRootAfter: keccak256(toBytes('after')),
  fuelUsed: 1234n,
}
const digest = resultDigest(fields)
const all = shares.map((key) => signShare(digest, key))
const pick = (...indices: number[]) => indices.map((i) => all[i - 1]!)
// On the curve (x = 4) but outside the prime-order G1 subgroup (same point as the vectors use).
const notInSubgroup: Hex = '0x800000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

describe('combineShares', () => {
  test('any two t-subsets combine to the same signature', () => {
    const a = combineShares(digest, pick(1, 2, 3), network)
    const b = combineShares(digest, pick(5, 2, 4), network)
    const c = combineShares(digest, pick(3, 4, 5), network)
    expect(a.signature).toBe(b.signature)
    expect(a.signature).toBe(c.signature)
    expect(a.signers).toEqual([1, 2, 3])
    expect(b.signers).toEqual([2, 4, 5])
  })

  test('the combined signature passes a hand-computed pairing check e(σ, G2) == e(H(m), PK)', () => {
    // Independent of the signature helpers: raw hash-to-curve and two separate pairings.
    const { signature } = combineShares(digest, pick(1, 3, 5), network)
    const sigma = bls12_381.G1.Point.fromHex(signature.slice(2))
    const hashed = bls12_381.G1.hashToCurve(toBytes(digest), { DST: NEXUS_DST })
    const pk = bls12_381.G2.Point.fromHex(network.groupPublicKey.slice(2))
    const left = bls12_381.pairing(sigma, bls12_381.G2.Point.BASE)
    const right = bls12_381.pairing(hashed as typeof sigma, pk)
    expect(bls12_381.fields.Fp12.eql(left, right)).toBe(true)
    // ...and it is not a tautology: another message gives a different right-hand side.
    const other = bls12_381.G1.hashToCurve(toBytes(keccak256(digest)), { DST: NEXUS_DST })
    expect(bls12_381.fields.Fp12.eql(left, bls12_381.pairing(other as typeof sigma, pk))).toBe(false)
  })

  test('the combined signature equals the group secret times H(m) from the same dealer seed', () => {
    // a_0 is recoverable from t secret shares by interpolating scalars (not points): a second path.
    const Fr = bls12_381.fields.Fr
    const xs = [1n, 2n, 3n]
    let a0 = 0n
    for (const [k, x] of xs.entries()) {
      let l = 1n
      for (const y of xs) if (y !== x) l = Fr.mul(l, Fr.div(y, Fr.sub(y, x)))
      a0 = Fr.add(a0, Fr.mul(l, BigInt(shares[k]!.secretKey)))
    }
    expect(decodeG2(network.groupPublicKey).equals(bls12_381.G2.Point.BASE.multiply(a0))).toBe(true)
    const expected = bls12_381.G1.hashToCurve(toBytes(digest), { DST: NEXUS_DST }).multiply(a0)
    expect(decodeG1(combineShares(digest, pick(2, 4, 5), network).signature).equals(expected as ReturnType<typeof decodeG1>)).toBe(true)
  })

  test('t-1 shares are refused, and t-1 shares forced together do not verify', () => {
    expect(codeOf(() => combineShares(digest, pick(1, 2), network))).toBe('NEXUS_ATTEST_TOO_FEW_SIGNERS')
    const forced = encodeG1(interpolate([1, 2].map((index) => ({ index, point: decodeG1(all[index - 1]!.signature) }))))
    const result = createAttestedResult({ fields, output, signature: forced, signers: [1, 2, 3], groupPublicKey: network.groupPublicKey })
    return verifyResult(result, network).then((v) => {
      expect(v.ok).toBe(false)
      if (!v.ok) expect(v.error.code).toBe('NEXUS_ATTEST_BAD_SIGNATURE')
    })
  })

  test('bad shares are excluded and reported; the rest still combine', () => {
    const wrongDigest = signShare(keccak256(digest), shares[1]!) // replica 2 signed another result
    const wrongKey: SignatureShare = { index: 3, signature: all[3]!.signature } // replica 3 sends 4's share
    const res = combineShares(digest, [all[0]!, wrongDigest, wrongKey, all[3]!, all[4]!], network)
    expect(res.signature).toBe(combineShares(digest, pick(1, 4, 5), network).signature)
    expect(res.signers).toEqual([1, 4, 5])
    expect(res.rejected.map((r) => r.index)).toEqual([2, 3])
    expect(res.rejected[0]!.reason).toMatch(/share of replica 2 rejected: does not verify/)
  })

  test('malformed, non-subgroup, duplicate and unknown shares are rejected', () => {
    const tampered = { index: 2, signature: (all[1]!.signature.slice(0, -2) + 'ff') as Hex }
    const res = combineShares(
      digest,
      [all[0]!, tampered, { index: 3, signature: notInSubgroup }, all[0]!, { index: 9, signature: all[4]!.signature }, all[3]!, all[4]!],
      network,
    )
    expect(res.signers).toEqual([1, 4, 5])
    // Malformed encodings, duplicates and unknown indices go first; subgroup failures are found
    // when the optimistic combination fails its check.
    expect(res.rejected).toEqual([
      { index: 1, reason: 'duplicate share for this index' },
      { index: 9, reason: 'unknown replica index (network has 1..5)' },
      { index: 2, reason: expect.stringMatching(/malformed point \(share of replica 2\)|not in the prime-order subgroup/) },
      { index: 3, reason: 'share of replica 3 is not in the prime-order subgroup' },
    ])
  })

  test('a network whose share keys do not match its group key is reported, not silently trusted', () => {
    const other = dealerKeygen({ t: 3, n: 5, seed: toBytes('another network') })
    const mixed = { ...network, groupPublicKey: other.network.groupPublicKey }
    expect(codeOf(() => combineShares(digest, pick(1, 2, 3), mixed))).toBe('NEXUS_ATTEST_KEYGEN')
  })

  test('too few valid shares throws and lists who disagreed', () => {
    const bad = signShare(keccak256(digest), shares[1]!)
    let error: unknown
    try {
      combineShares(digest, [all[0]!, bad, all[2]!], network)
    } catch (err) {
      error = err
    }
    expect((error as { code: string }).code).toBe('NEXUS_ATTEST_TOO_FEW_SIGNERS')
    expect((error as { rejected: unknown }).rejected).toEqual([{ index: 2, reason: expect.stringContaining('does not verify') }])
    expect((error as Error).message).toMatchInlineSnapshot(`
      "too few signers: 2 valid, threshold is 3

      replica 2: share of replica 2 rejected: does not verify against its share public key"
    `)
  })
})

describe('rejections carry distinct errors', () => {
  test('tampered share, share for another digest, non-subgroup point, flipped digest field', async () => {
    const { signature } = combineShares(digest, pick(1, 2, 3), network)
    const good = createAttestedResult({ fields, output, signature, signers: [1, 2, 3], groupPublicKey: network.groupPublicKey })
    expect(await verifyResult(good, network)).toEqual({ ok: true, digest })

    // 1. tampered share: a flipped byte no longer decodes to a curve point
    const tampered = `0x${(parseInt(all[0]!.signature.slice(2, 4), 16) ^ 0x01).toString(16).padStart(2, '0')}${all[0]!.signature.slice(4)}` as Hex
    const tamperedCode = codeOf(() => decodeG1(tampered))
    // 2. a share for another digest: decodes fine, fails against the share key
    const otherDigest = combineShares(digest, [all[0]!, signShare(keccak256(digest), shares[1]!), all[2]!, all[3]!], network).rejected[0]!
    // 3. a point outside the subgroup as the signature
    const subgroup = await verifyResult({ ...good, signature: notInSubgroup }, network)
    // 4. a flipped digest field (status 0 → 1) with the original digest
    const flipped = await verifyResult({ ...good, fields: { ...good.fields, status: 1 } }, network)

    const codes = [
      tamperedCode,
      otherDigest.reason.startsWith('share of replica 2 rejected') ? 'NEXUS_ATTEST_BAD_SHARE' : otherDigest.reason,
      subgroup.ok ? 'ok' : subgroup.error.code,
      flipped.ok ? 'ok' : flipped.error.code,
    ]
    expect(codes).toEqual(['NEXUS_ATTEST_MALFORMED_POINT', 'NEXUS_ATTEST_BAD_SHARE', 'NEXUS_ATTEST_NOT_IN_SUBGROUP', 'NEXUS_ATTEST_DIGEST_MISMATCH'])
  })
})
