import type { Hex } from 'viem'

/**
 * `0x`-hex of bytes with Node's native encoder: what viem's `toHex` returns for a Uint8Array, at a
 * fraction of its cost and garbage (it builds the string a byte at a time). It ran for every
 * result's output and hashes, on a replica's main thread, in every batch.
 */
export function bytesHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`
}
