import { toBytes } from 'viem'
import { describe, expect, test } from 'vitest'
import { dealerKeygen, decodeG2, parseNetwork, sharePublicKey, verifyShareAgainstCommitments, encodeG2 } from './index.ts'

describe('dealer keygen and network files', () => {
  test('seeded keygen is deterministic; unseeded is not', () => {
    const a = dealerKeygen({ t: 2, n: 3, seed: toBytes('seed') })
    expect(dealerKeygen({ t: 2, n: 3, seed: toBytes('seed') })).toEqual(a)
    expect(dealerKeygen({ t: 2, n: 3 }).network.groupPublicKey).not.toBe(dealerKeygen({ t: 2, n: 3 }).network.groupPublicKey)
  })

  test('every share passes the Feldman check and matches its published share key; a wrong share fails', () => {
    const { network, shares, commitments } = dealerKeygen({ t: 3, n: 4, seed: toBytes('feldman') })
    const C = commitments.map((c) => decodeG2(c))
    expect(network.groupPublicKey).toBe(commitments[0])
    for (const share of shares) {
      expect(verifyShareAgainstCommitments(share, C)).toBe(true)
      expect(encodeG2(sharePublicKey(share))).toBe(network.sharePublicKeys[share.index - 1]!.publicKey)
    }
    expect(verifyShareAgainstCommitments({ index: 1, secretKey: shares[1]!.secretKey }, C)).toBe(false)
  })

  test('parseNetwork accepts a generated network and rejects inconsistent ones', () => {
    const { network } = dealerKeygen({ t: 3, n: 4, seed: toBytes('net') })
    const other = dealerKeygen({ t: 3, n: 4, seed: toBytes('net2') }).network
    expect(parseNetwork(JSON.parse(JSON.stringify(network)))).toEqual(network)
    const code = (v: unknown) => {
      try {
        parseNetwork(v)
        return 'ok'
      } catch (err) {
        return (err as { code: string }).code
      }
    }
    expect(code({ ...network, t: 5 })).toBe('NEXUS_ATTEST_MALFORMED_RESULT')
    expect(code({ ...network, groupPublicKey: other.groupPublicKey })).toBe('NEXUS_ATTEST_KEYGEN')
    expect(code({ ...network, sharePublicKeys: [...network.sharePublicKeys.slice(0, 3), other.sharePublicKeys[3]] })).toBe('NEXUS_ATTEST_KEYGEN')
    expect(code({ ...network, groupPublicKey: '0x1234' })).toBe('NEXUS_ATTEST_MALFORMED_POINT')
    expect(code({ ...network, verifier: 'nope' })).toBe('NEXUS_ATTEST_MALFORMED_RESULT')
    expect(() => dealerKeygen({ t: 0, n: 3 })).toThrow(/t must be/)
    expect(() => dealerKeygen({ t: 4, n: 3 })).toThrow(/t must be/)
  })
})
