import { toHex } from 'viem'
import { expect, test } from 'vitest'
import { bytesHex } from './hex.ts'

test('bytesHex is viem’s toHex of the same bytes, views into a larger buffer included', () => {
  const backing = new Uint8Array(300).map((_, i) => (i * 97 + 13) & 0xff)
  for (const [start, end] of [
    [0, 0],
    [0, 1],
    [5, 37],
    [17, 300],
    [299, 300],
  ] as const) {
    const view = backing.subarray(start, end)
    expect(bytesHex(view)).toBe(toHex(view))
  }
})
