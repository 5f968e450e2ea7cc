// keccak256, the protocol's hash, computed in WebAssembly (hash-wasm). Replicas and the gateway
// hash several times per invocation (input, output, result digest, Merkle leaves and nodes, state
// tree); viem's keccak256 (noble, plain JS) took ≈ 30 µs for one 352-byte digest encoding on our
// 2-core machines and was the largest single cost of a batch drain. hash-wasm takes ≈ 1.7 µs.
// The bytes are the same (keccak.test.ts); noble is the fallback if the module cannot load.
//
// Host-side only: handler bundles (QuickJS guests) keep viem's, as they have no WebAssembly.
import { keccak_256 } from '@noble/hashes/sha3.js'
import { createKeccak, type IHasher } from 'hash-wasm'
import type { Hex } from 'viem'

let engine: IHasher | undefined
try {
  engine = await createKeccak(256)
} catch {
  engine = undefined
}

/** Which implementation hashes: 'wasm' normally, 'noble' if the WebAssembly module could not load. */
export const keccakEngine: 'wasm' | 'noble' = engine ? 'wasm' : 'noble'

/** Hex (0x-prefixed, even length) or bytes → bytes. A string is never hashed as text. */
function bytesOf(data: Uint8Array | Hex): Uint8Array {
  if (typeof data !== 'string') return data
  if (!/^0x(?:[0-9a-fA-F]{2})*$/.test(data)) throw new TypeError(`keccak256: not 0x-prefixed hex bytes: ${data.slice(0, 20)}`)
  return Buffer.from(data.slice(2), 'hex')
}

/** keccak256 as 32 bytes. */
export function keccak256Bytes(data: Uint8Array | Hex): Uint8Array {
  const bytes = bytesOf(data)
  if (!engine) return keccak_256(bytes)
  // init/update/digest run back to back with nothing in between (synchronous), so one engine serves all callers.
  return engine.init().update(bytes).digest('binary')
}

/** keccak256 as 0x-prefixed lowercase hex (what viem's keccak256 returns). */
export function keccak256(data: Uint8Array | Hex): Hex {
  const bytes = bytesOf(data)
  if (!engine) return `0x${Buffer.from(keccak_256(bytes)).toString('hex')}`
  return `0x${engine.init().update(bytes).digest('hex')}`
}
