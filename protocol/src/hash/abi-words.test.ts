import { describe, expect, it } from 'vitest'
import { encodeAbiParameters, getAddress, toHex } from 'viem'
import { randomBytes } from 'node:crypto'
import { abiWords, putAddress, putBytes32, putUint } from './abi-words.ts'
import { encodeResultFields, resultDigest, type ResultFields } from '../attest/digest.ts'
import { keccak256 } from './keccak.ts'

const hex = (n: number) => toHex(randomBytes(n))
const word = (write: (out: Buffer) => boolean) => {
  const out = abiWords(1)
  return write(out) ? toHex(out) : undefined
}

describe('abi words', () => {
  it('writes what viem encodes, for values in every range', () => {
    for (let i = 0; i < 200; i++) {
      const b = i % 3 === 0 ? hex(32).toUpperCase().replace('0X', '0x') : hex(32)
      expect(word((o) => putBytes32(o, 0, b))).toBe(encodeAbiParameters([{ type: 'bytes32' }], [b as `0x${string}`]).toLowerCase())
      const bits = [8, 64, 256][i % 3]!
      const n = BigInt(hex(bits / 8)) >> BigInt(i % 7)
      expect(word((o) => putUint(o, 0, n, bits))).toBe(encodeAbiParameters([{ type: `uint${bits}` as 'uint256' }], [n]))
      const a = hex(20)
      const addr = i % 2 ? getAddress(a) : a
      expect(word((o) => putAddress(o, 0, addr))).toBe(encodeAbiParameters([{ type: 'address' }], [addr as `0x${string}`]))
    }
    expect(word((o) => putUint(o, 0, 7, 8))).toBe(encodeAbiParameters([{ type: 'uint8' }], [7]))
  })

  it('refuses what viem would refuse (or must check itself), so the caller falls back to viem', () => {
    expect(word((o) => putBytes32(o, 0, hex(31)))).toBeUndefined()
    expect(word((o) => putBytes32(o, 0, `0x${'g'.repeat(64)}`))).toBeUndefined()
    expect(word((o) => putUint(o, 0, 256, 8))).toBeUndefined()
    expect(word((o) => putUint(o, 0, 1n << 64n, 64))).toBeUndefined()
    expect(word((o) => putUint(o, 0, -1n, 64))).toBeUndefined()
    expect(word((o) => putUint(o, 0, 1.5, 64))).toBeUndefined()
    expect(word((o) => putUint(o, 0, '1', 64))).toBeUndefined()
    const a = getAddress(hex(20))
    const badChecksum = a.replace(/[a-f]/, (c) => c.toUpperCase())
    if (badChecksum !== a) expect(word((o) => putAddress(o, 0, badChecksum))).toBeUndefined()
    expect(word((o) => putAddress(o, 0, hex(19)))).toBeUndefined()
  })
})

describe('resultDigest (direct encoding)', () => {
  const fields = (over: Partial<ResultFields> = {}): ResultFields => ({
    chainId: 31337n,
    verifier: getAddress(hex(20)),
    functionId: 'token-balances',
    codeHash: hex(32),
    seq: 12n,
    inputHash: hex(32),
    status: 0,
    outputHash: hex(32),
    stateRootBefore: hex(32),
    stateRootAfter: hex(32),
    fuelUsed: 301_812n,
    ...over,
  })

  it('is keccak256 of encodeResultFields (viem) for v1 and v2, upper- or lowercase hex', () => {
    for (let i = 0; i < 100; i++) {
      const f = fields({ seq: (BigInt(i) << BigInt(i % 60)) & ((1n << 64n) - 1n), chainId: i % 5 ? BigInt(i) : (1n << 255n) + BigInt(i), status: (i % 4) as 0 })
      if (i % 2) delete f.functionId
      if (i % 3 === 0) f.codeHash = f.codeHash.toUpperCase().replace('0X', '0x') as `0x${string}`
      expect(resultDigest(f)).toBe(keccak256(encodeResultFields(f)))
    }
  })

  it('throws what encodeResultFields throws for malformed fields', () => {
    for (const bad of [{ seq: 1n << 64n }, { inputHash: hex(31) }, { verifier: '0x12' }, { status: 256 }] as Partial<ResultFields>[]) {
      const f = fields(bad)
      expect(() => encodeResultFields(f)).toThrow()
      expect(() => resultDigest(f)).toThrow()
    }
  })
})

describe('abi words: malformed hex anywhere in the value', () => {
  it('refuses a bad digit at any position, a 0X prefix, and wrong lengths', () => {
    const good = hex(32)
    for (let i = 2; i < 66; i++) {
      const bad = `${good.slice(0, i)}z${good.slice(i + 1)}`
      expect(word((o) => putBytes32(o, 0, bad))).toBeUndefined()
    }
    expect(word((o) => putBytes32(o, 0, `0X${good.slice(2)}`))).toBeUndefined()
    expect(word((o) => putBytes32(o, 0, `${good}0`))).toBeUndefined()
    expect(word((o) => putAddress(o, 0, `0x${'g'.repeat(40)}`))).toBeUndefined()
    expect(word((o) => putAddress(o, 0, `0x${'a'.repeat(39)}z`))).toBeUndefined()
  })
})
