import { keccak256, toHex } from 'viem'
import { describe, expect, it } from 'vitest'
import { combineShares } from './combine.ts'
import { dealerKeygen, sharePublicKey } from './keys.ts'
import { CURVE_ORDER, encodeScalar } from './points.ts'
import { createShareSigner, verifyShare } from './sign.ts'
import { createWasmShareSigner } from './wasm-signer.ts'

const messages = Array.from({ length: 16 }, (_, k) => keccak256(toHex(`wasm signer ${k}`)))

describe('WebAssembly share signer', () => {
  it('signs exactly as the noble signer, for random keys and the extreme scalars 1 and r − 1', async () => {
    const { shares } = dealerKeygen({ t: 3, n: 4, seed: new Uint8Array(32).fill(9) })
    const keys = [...shares, { index: 5, secretKey: encodeScalar(1n) }, { index: 6, secretKey: encodeScalar(CURVE_ORDER - 1n) }]
    for (const key of keys) {
      const wasm = await createWasmShareSigner(key)
      const noble = createShareSigner(key)
      for (const m of messages.slice(0, 4)) expect(wasm(m)).toEqual(noble(m))
    }
  })

  it('gives shares that verify and combine into the group signature', async () => {
    const { network, shares } = dealerKeygen({ t: 3, n: 4, seed: new Uint8Array(32).fill(3) })
    const signers = await Promise.all(shares.map((key) => createWasmShareSigner(key)))
    for (const m of messages.slice(4, 8)) {
      const signed = signers.map((sign) => sign(m))
      signed.forEach((share, k) => expect(verifyShare(m, share, sharePublicKey(shares[k]!))).toBe(true))
      expect(combineShares(m, signed.slice(1), network).signature).toBe(combineShares(m, signed.slice(0, 3), network).signature)
    }
  })

  it('rejects a malformed key before building anything', async () => {
    await expect(createWasmShareSigner({ index: 1, secretKey: '0x00' })).rejects.toThrow(/secret key of replica 1/)
    await expect(createWasmShareSigner({ index: 1, secretKey: encodeScalar(CURVE_ORDER) })).rejects.toThrow(/secret key of replica 1/)
  })

  it('rejects a message that is not 32 bytes, like the noble signer', async () => {
    const { shares } = dealerKeygen({ t: 3, n: 4, seed: new Uint8Array(32).fill(4) })
    const sign = await createWasmShareSigner(shares[0]!)
    expect(() => sign('0x1234')).toThrow(/message/)
    expect(() => createShareSigner(shares[0]!)('0x1234')).toThrow(/message/)
  })
})
