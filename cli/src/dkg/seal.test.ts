// Sealed shares: only the recipient opens them, and only for the pair and ceremony they were sealed for.
import { expect, test } from 'vitest'
import { createSealKeys, isSealPublicKey, open, seal } from './seal.ts'

const dealer = createSealKeys()
const recipient = createSealKeys()
const other = createSealKeys()
const plaintext = new Uint8Array(32).fill(7)
const box = seal({ keys: dealer, peer: recipient.publicKey, context: 'c 1->2', plaintext })

test('the recipient opens what the dealer sealed to it', () => {
  expect(isSealPublicKey(dealer.publicKey)).toBe(true)
  expect(open({ keys: recipient, peer: dealer.publicKey, context: 'c 1->2', box })).toEqual(plaintext)
  expect(Buffer.from(box, 'base64url').includes(Buffer.from(plaintext))).toBe(false)
})

test('another key, another pair or ceremony, or a changed byte does not open', () => {
  expect(open({ keys: other, peer: dealer.publicKey, context: 'c 1->2', box })).toBeUndefined()
  expect(open({ keys: recipient, peer: dealer.publicKey, context: 'c 1->3', box })).toBeUndefined()
  expect(open({ keys: recipient, peer: dealer.publicKey, context: 'd 1->2', box })).toBeUndefined()
  const bytes = Buffer.from(box, 'base64url')
  bytes[20]! ^= 1
  expect(open({ keys: recipient, peer: dealer.publicKey, context: 'c 1->2', box: bytes.toString('base64url') })).toBeUndefined()
})

test('malformed boxes and peer keys are refused, not thrown', () => {
  for (const bad of [undefined, 42, '', 'not base64!', 'AAAA'])
    expect(open({ keys: recipient, peer: dealer.publicKey, context: 'c 1->2', box: bad })).toBeUndefined()
  // An all-zero key is a low-order point: the agreement fails, the box does not open.
  expect(open({ keys: recipient, peer: Buffer.alloc(32).toString('base64url'), context: 'c 1->2', box })).toBeUndefined()
  expect(() => seal({ keys: dealer, peer: 'short', context: 'c', plaintext })).toThrow(/malformed public key/)
})
