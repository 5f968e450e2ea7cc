import { keccak256, toBytes } from 'viem'
import { describe, expect, test } from 'vitest'
import { combineShares, parseNetwork, runDkg, signShare, verifyShareAgainstCommitments, verifySignature, decodeG2 } from './index.ts'

const message = keccak256(toBytes('dkg message'))
const seed = toBytes('dkg.test')

function signsWith(result: ReturnType<typeof runDkg>, indices: number[]) {
  const shares = result.shares.filter((s) => indices.includes(s.index)).map((k) => signShare(message, k))
  const { signature } = combineShares(message, shares, result.network)
  return verifySignature(message, signature, result.network.groupPublicKey)
}

describe('DKG (joint-Feldman, no dealer)', () => {
  test('all honest: every share matches the commitments and any t replicas sign for the group key', () => {
    const result = runDkg({ t: 3, n: 5, seed })
    expect(result.qualified).toEqual([1, 2, 3, 4, 5])
    expect(result.disqualified).toEqual([])
    expect(result.complaints).toEqual([])
    const commitments = result.commitments.map((c) => decodeG2(c))
    for (const share of result.shares) expect(verifyShareAgainstCommitments(share, commitments)).toBe(true)
    expect(parseNetwork(JSON.parse(JSON.stringify(result.network)))).toEqual(result.network)
    expect(signsWith(result, [1, 2, 3])).toBe(true)
    expect(signsWith(result, [3, 4, 5])).toBe(true)
    // no single dealer knows the key: the group key is not any one dealer's C_0
    expect(runDkg({ t: 3, n: 5, seed: toBytes('other') }).network.groupPublicKey).not.toBe(result.network.groupPublicKey)
  })

  test('a dealer that sends bad shares and keeps lying is disqualified; the honest ones still get a working key', () => {
    const result = runDkg({ t: 3, n: 5, seed, faults: [{ index: 2, kind: 'bad-share', victims: [1, 4] }] })
    expect(result.complaints).toEqual([
      { accuser: 1, dealer: 2 },
      { accuser: 4, dealer: 2 },
    ])
    expect(result.disqualified).toEqual([{ index: 2, reason: 'published share for participant 1 does not match its commitments' }])
    expect(result.qualified).toEqual([1, 3, 4, 5])
    expect(signsWith(result, [1, 3, 4])).toBe(true)
    expect(signsWith(result, [3, 4, 5])).toBe(true)
    expect(result.network.groupPublicKey).not.toBe(runDkg({ t: 3, n: 5, seed }).network.groupPublicKey) // dealer 2's part is gone
  })

  test('a dealer that ignores complaints, one that never deals, and one with wrong-degree commitments are disqualified', () => {
    const result = runDkg({
      t: 2,
      n: 6,
      seed,
      faults: [
        { index: 1, kind: 'no-answer', victims: [3] },
        { index: 5, kind: 'no-deal' },
        { index: 6, kind: 'bad-commitments' },
      ],
    })
    expect(result.disqualified).toEqual([
      { index: 1, reason: 'did not answer the complaint of participant 3' },
      { index: 5, reason: 'did not deal' },
      { index: 6, reason: 'published 3 commitments, expected 2' },
    ])
    expect(result.qualified).toEqual([2, 3, 4])
    expect(signsWith(result, [2, 3])).toBe(true)
    expect(signsWith(result, [1, 6])).toBe(true) // the misbehaving replicas still hold valid shares of the honest key
  })

  test('a dealer that answers its complaint with the correct share stays; a false accuser cannot eject an honest dealer', () => {
    const result = runDkg({
      t: 3,
      n: 4,
      seed,
      faults: [
        { index: 3, kind: 'bad-share-then-correct', victims: [2] },
        { index: 4, kind: 'false-complaint', against: [1] },
      ],
    })
    expect(result.complaints).toEqual([
      { accuser: 2, dealer: 3 },
      { accuser: 4, dealer: 1 },
    ])
    expect(result.disqualified).toEqual([])
    expect(signsWith(result, [1, 2, 3])).toBe(true)
    expect(signsWith(result, [2, 3, 4])).toBe(true)
  })

  test('fewer than t qualified dealers is an error', () => {
    expect(() => runDkg({ t: 3, n: 3, seed, faults: [{ index: 1, kind: 'no-deal' }] })).toThrowErrorMatchingInlineSnapshot(`
      [DkgError: only 2 qualified dealers, need at least t = 3

      dealer 1: did not deal]
    `)
  })
})
