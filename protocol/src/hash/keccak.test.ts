import { keccak_256 } from '@noble/hashes/sha3.js'
import { keccak256 as viemKeccak256 } from 'viem'
import { expect, test } from 'vitest'
import { keccak256, keccak256Bytes, keccakEngine } from './keccak.ts'

test('the WebAssembly engine is the one in use', () => {
  expect(keccakEngine).toBe('wasm')
})

test('equals noble and viem at every length around the 136-byte block boundaries', () => {
  const lengths = [0, 1, 31, 32, 33, 64, 65, 135, 136, 137, 271, 272, 273, 352, 1000, 1 << 20]
  for (let n = 0; n < 300; n++) lengths.push(n)
  let seed = 7
  for (const n of lengths) {
    const data = new Uint8Array(n)
    for (let k = 0; k < n; k++) data[k] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24
    const expected = keccak_256(data)
    expect(keccak256Bytes(data)).toEqual(expected)
    expect(keccak256(data)).toBe(viemKeccak256(data))
    expect(keccak256(viemKeccak256(data))).toBe(viemKeccak256(viemKeccak256(data))) // hex input
  }
})

test('known answers', () => {
  expect(keccak256('0x')).toBe('0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
  expect(keccak256(new TextEncoder().encode('nexus.result.v1'))).toBe('0x7a9001493b650650598bb69351c70f82fa0c38949ba2a0bf31ed45152cb667e3')
})

test('a string that is not hex bytes is rejected, never hashed as text', () => {
  for (const bad of ['hello', '0x1', '0xzz', 'ab'] as `0x${string}`[]) expect(() => keccak256(bad)).toThrow(TypeError)
})

test('results are independent copies: a later hash does not change an earlier one', () => {
  const a = keccak256Bytes(Uint8Array.of(1))
  const copy = a.slice()
  keccak256Bytes(Uint8Array.of(2))
  expect(a).toEqual(copy)
})
