// Static ABI words (`abi.encode` of bytes32, uintN and address values) written straight into bytes.
// viem's encodeAbiParameters builds and validates hex strings word by word: for the result digest
// it was ≈ 9 % of the gateway's and ≈ 4 % of a replica's main-thread CPU in an event backfill
// (every result is digested by its replica and checked by the gateway). These writers take only
// values already in the form viem would accept; for anything else they return false and the caller
// encodes with viem, which then encodes or throws exactly as before. Same bytes either way
// (abi-words.test.ts compares them with viem's).
import { isAddress } from 'viem/utils'

const UINT64_LIMIT = 1n << 64n

/** A zeroed buffer of `words` 32-byte words. */
export const abiWords = (words: number): Buffer => Buffer.alloc(words * 32)

/** `0x` + `digits` hex digits: Buffer's hex decoder stops at the first pair that is not hex, so a short write means bad input. */
function putHex(out: Buffer, offset: number, value: unknown, bytes: number): boolean {
  if (typeof value !== 'string' || value.length !== 2 + 2 * bytes || value.charCodeAt(0) !== 48 || value.charCodeAt(1) !== 120) return false
  return out.write(value.slice(2), offset, bytes, 'hex') === bytes
}

/** Writes a bytes32 (0x + 64 hex digits, any case) as word `word`; false for anything else. */
export function putBytes32(out: Buffer, word: number, value: unknown): boolean {
  // Not a regular expression: testing one was ≈ 6 µs a field under load, most of resultDigest's time.
  return putHex(out, word * 32, value, 32)
}

/** Writes a uint of `bits` bits (a bigint, or a safe integer number) as word `word`; false when out of range or not an integer. */
export function putUint(out: Buffer, word: number, value: unknown, bits: number): boolean {
  let n: bigint
  if (typeof value === 'bigint') n = value
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value)
  else return false
  if (n < 0n || n >= 1n << BigInt(bits)) return false
  if (n < UINT64_LIMIT) out.writeBigUInt64BE(n, word * 32 + 24)
  else out.write(n.toString(16).padStart(64, '0'), word * 32, 32, 'hex')
  return true
}

// Addresses that passed viem's checksum check (mixed case): one check per address, not per digest.
const checkedAddresses = new Set<string>()

/** Writes an address (lowercase, or mixed case with a valid checksum, as viem's isAddress wants) as word `word`; false otherwise. */
export function putAddress(out: Buffer, word: number, value: unknown): boolean {
  if (!putHex(out, word * 32 + 12, value, 20)) return false
  const text = value as string
  if (text.toLowerCase() !== text && !checkedAddresses.has(text)) {
    if (!isAddress(text)) return false
    if (checkedAddresses.size >= 1024) checkedAddresses.clear()
    checkedAddresses.add(text)
  }
  return true
}
