import { describe, expect, it } from 'vitest'
import { encodeAbiParameters, toHex } from 'viem'
import { randomBytes } from 'node:crypto'
import { keccak256 } from '@nexus/protocol'
import { derivedRandomSeed } from '../src/replica/random-seed.ts'

const viemSeed = (codeHash: `0x${string}`, functionId: string, seq: bigint, inputHash: `0x${string}`) =>
  keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'string' }, { type: 'uint64' }, { type: 'bytes32' }], [codeHash, functionId, seq, inputHash]))

describe('derivedRandomSeed', () => {
  it("equals keccak256 of viem's abi.encode(codeHash, functionId, seq, inputHash), ids of every length", () => {
    for (let i = 0; i < 120; i++) {
      const codeHash = toHex(randomBytes(32))
      const inputHash = toHex(randomBytes(32))
      const id = i % 10 === 0 ? '' : `fn-${'é'.repeat(i % 40)}${'x'.repeat(i)}`
      const seq = BigInt(i) ** 5n
      expect(derivedRandomSeed(codeHash, id, seq, inputHash)).toBe(viemSeed(codeHash, id, seq, inputHash))
    }
  })

  it('throws as viem does for a seq past uint64 or a malformed hash', () => {
    const h = toHex(randomBytes(32))
    expect(() => derivedRandomSeed(h, 'f', 1n << 64n, h)).toThrow()
    expect(() => derivedRandomSeed(h, 'f', 1n, '0x12')).toThrow()
  })
})
