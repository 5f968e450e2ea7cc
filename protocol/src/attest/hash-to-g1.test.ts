import { bls12_381 } from '@noble/curves/bls12-381.js'
import { bytesToHex, keccak256, toHex } from 'viem'
import { describe, expect, it } from 'vitest'
import { hashToCurveG1 } from './hash-to-g1.ts'
import { assertInSubgroup, decodeG1, decodeG1OnCurve, encodeG1, hashToG1, NEXUS_DST, pairingCheck } from './points.ts'

const messages = Array.from({ length: 24 }, (_, k) => keccak256(toHex(`message ${k}`)))

describe('hash-to-G1 without the redundant subgroup check', () => {
  it('equals noble hashToCurve for the Nexus DST and for another DST', () => {
    for (const m of messages) {
      const bytes = Buffer.from(m.slice(2), 'hex')
      expect(hashToG1(m).equals(bls12_381.G1.hashToCurve(bytes, { DST: NEXUS_DST }))).toBe(true)
      const other = 'QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_'
      expect(hashToCurveG1(bytes, other).equals(bls12_381.G1.hashToCurve(bytes, { DST: other }))).toBe(true)
    }
  })

  it('matches an RFC 9380 J.9.1 test vector (empty message)', () => {
    const p = hashToCurveG1(new Uint8Array(), 'QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_').toAffine()
    expect(p.x).toBe(0x052926add2207b76ca4fa57a8734416c8dc95e24501772c814278700eed6d1e4e8cf62d9c09db0fac349612b759e79a1n)
    expect(p.y).toBe(0x08ba738453bfed09cb546dbb0783dbb3a5f1f566ed67bb6be0e8c67e2e81a4cc68ee29813bb7994998f3eae0c9c6a265n)
  })

  it('gives points in the subgroup (the check it skips would pass)', () => {
    for (const m of messages.slice(0, 4)) expect(() => hashToG1(m).assertValidity()).not.toThrow()
  })
})

describe('encodeG1', () => {
  it('equals noble compressed encoding for both signs of y and for infinity', () => {
    for (const m of messages) {
      const p = hashToG1(m)
      for (const q of [p, p.negate(), p.double()]) {
        expect(encodeG1(q)).toBe(bytesToHex(q.toBytes(true)))
        expect(decodeG1(encodeG1(q)).equals(q)).toBe(true)
      }
    }
    expect(encodeG1(bls12_381.G1.Point.ZERO)).toBe(bytesToHex(bls12_381.G1.Point.ZERO.toBytes(true)))
  })

  it('encodes an off-subgroup point (its check belongs to verification), which verification then rejects', () => {
    // x = 4 is on the curve (y² = 68 has a root) but not in the prime-order subgroup.
    const off = decodeG1OnCurve(`0x${(0x80).toString(16)}${'00'.repeat(46)}04`)
    expect(() => off.assertValidity()).toThrow()
    const encoded = encodeG1(off)
    expect(() => decodeG1(encoded)).toThrow(/subgroup/)
    expect(() => assertInSubgroup(off)).toThrow()
    expect(() => pairingCheck(off, hashToG1(messages[0]!), bls12_381.G2.Point.BASE)).toThrow()
  })
})
