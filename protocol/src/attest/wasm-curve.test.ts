import { keccak256, toHex } from 'viem'
import { describe, expect, it } from 'vitest'
import { combineShares, combineSharesUnverified } from './combine.ts'
import { hashToCurveG1BeforeClearing } from './hash-to-g1.ts'
import { dealerKeygen, sharePublicKey } from './keys.ts'
import { bls, CURVE_ORDER, decodeG1, decodeG1OnCurve, decodeG2, encodeG1, encodeScalar, hashToG1, NEXUS_DST, pairingCheck, type G1Point } from './points.ts'
import { findInvalidSignatures } from './verify-batch.ts'
import { createShareSigner, signShare, verifyShare } from './sign.ts'
import { createWasmBaseField, createWasmCurve, createWasmG1Multiply } from './wasm-g1.ts'
import { loadShareSigner, loadWasmCurve, upgradableShareSigner } from './wasm-loader.ts'
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

  it('upgradable: the same shares from noble before the upgrade and from the engine after it', async () => {
    const { shares } = dealerKeygen({ t: 3, n: 4, seed: new Uint8Array(32).fill(5) })
    const { sign, upgrade } = upgradableShareSigner(shares[1]!)
    const before = messages.slice(8, 12).map((m) => sign(m))
    await upgrade()
    expect(messages.slice(8, 12).map((m) => sign(m))).toEqual(before)
    expect(before).toEqual(messages.slice(8, 12).map((m) => createShareSigner(shares[1]!)(m)))
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

describe('WebAssembly G1 multiplication', () => {
  it('equals noble for points in and outside the subgroup and scalars 0, 1, r − 1, r, and wider than r', async () => {
    const multiply = await createWasmG1Multiply()
    const inside = bls.G1.Point.BASE.multiply(0xdeadbeefn) as G1Point
    const outside = hashToCurveG1BeforeClearing(new Uint8Array(32).fill(1), 'X') as G1Point
    expect(outside.isTorsionFree()).toBe(false) // really off the subgroup
    const scalars = [0n, 1n, 2n, 3n, CURVE_ORDER - 1n, CURVE_ORDER, CURVE_ORDER * 0xd201000000010001n + 5n, 0x1234567890abcdefn ** 4n]
    // Reference: plain double-and-add with noble's point addition (any k ≥ 0, in the subgroup or not).
    const reference = (point: G1Point, k: bigint) => {
      let acc = bls.G1.Point.ZERO
      for (const bit of k.toString(2)) acc = bit === '1' ? acc.double().add(point) : acc.double()
      return acc
    }
    for (const point of [inside, outside, inside.negate()])
      for (const k of scalars) expect(multiply(point, k).equals(reference(point, k)), `k = ${k}`).toBe(true)
    expect(multiply(bls.G1.Point.ZERO as G1Point, 5n).is0()).toBe(true)
    expect(() => multiply(inside, -1n)).toThrow(RangeError)
  })

  it('gives combineSharesUnverified the same signature for every signer set, integer coefficients or not', async () => {
    const multiply = await createWasmG1Multiply()
    const { network, shares } = dealerKeygen({ t: 3, n: 5, seed: new Uint8Array(32).fill(5) })
    const m = messages[9]!
    const all = shares.map((key) => signShare(m, key))
    const expected = combineShares(m, all.slice(0, 3), network).signature
    for (const a of [0, 1, 2])
      for (const b of [a + 1, a + 2])
        for (const c of [b + 1, b + 2].filter((x) => x < 5)) {
          const set = [all[a]!, all[b]!, all[c]!]
          expect(combineSharesUnverified(set, network, { multiply }).signature).toBe(expected)
          expect(combineSharesUnverified(set, network).signature).toBe(expected)
        }
  })
})

describe('WebAssembly base field (pow and inv for hash-to-G1)', () => {
  it('agrees with noble on pow and inv, edge cases included, and rejects inverting 0', async () => {
    const field = await createWasmBaseField()
    const Fp = bls.fields.Fp
    const p = Fp.ORDER
    const xs = [0n, 1n, 2n, p - 1n, p - 2n, 0x1234567890abcdefn ** 5n % p, p + 5n]
    const es = [0n, 1n, 2n, (p - 3n) / 4n, p - 2n, p - 1n, 0xffffffffn]
    for (const x of xs) {
      for (const e of es) expect(field.pow(x, e), `${x}^${e}`).toBe(Fp.pow(Fp.create(x), e))
      if (Fp.create(x) !== 0n) expect(field.inv(x)).toBe(Fp.inv(Fp.create(x)))
    }
    expect(() => field.inv(0n)).toThrow(/non-zero/)
    expect(() => field.inv(p)).toThrow(/non-zero/)
    expect(field.mul(3n, 5n)).toBe(15n) // everything else is noble's
  })

  it('gives hash-to-G1 the same points as noble for many messages and two DSTs', async () => {
    const field = await createWasmBaseField()
    for (let k = 0; k < 40; k++) {
      const message = new Uint8Array(32).fill(k)
      for (const dst of [NEXUS_DST, 'QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_'])
        expect(hashToCurveG1BeforeClearing(message, dst, field).equals(hashToCurveG1BeforeClearing(message, dst))).toBe(true)
    }
  })
})

describe('WebAssembly curve for the gateway check', () => {
  it('hashes to exactly noble hashToG1, and decides subgroup membership as noble does', async () => {
    const curve = await createWasmCurve()
    for (const m of messages.slice(0, 8)) {
      const hashed = curve.hashToG1(m)
      expect(hashed.equals(hashToG1(m))).toBe(true)
      expect(curve.isInSubgroup(hashed)).toBe(true)
      const off = hashToCurveG1BeforeClearing(Buffer.from(m.slice(2), 'hex'), NEXUS_DST) as G1Point
      expect(curve.isInSubgroup(off)).toBe(off.isTorsionFree())
      expect(curve.isInSubgroup(off)).toBe(false)
      expect(curve.isInSubgroup(hashed.add(off) as G1Point)).toBe(false)
    }
  })
})

describe('WebAssembly share decoding (on the curve, not the subgroup)', () => {
  const errorOf = (f: () => unknown) => {
    try {
      f()
    } catch (err) {
      return (err as Error).message
    }
    return undefined
  }

  it("decodes exactly what noble's field decodes, for both roots and for points outside the subgroup", async () => {
    const curve = await createWasmCurve()
    for (let k = 0; k < 20; k++) {
      const off = hashToCurveG1BeforeClearing(new Uint8Array(32).fill(k), NEXUS_DST) as G1Point
      for (const point of [off, off.negate() as G1Point, hashToG1(messages[k % messages.length]!)]) {
        const encoded = encodeG1(point)
        const decoded = curve.decodeG1OnCurve(encoded)
        expect(decoded.equals(point)).toBe(true)
        expect(decoded.equals(decodeG1OnCurve(encoded))).toBe(true)
      }
    }
  })

  it('rejects the same encodings with the same errors', async () => {
    const curve = await createWasmCurve()
    const valid = encodeG1(hashToG1(messages[0]!))
    // x values whose x³ + 4 has no square root: walk x up from a valid one until noble refuses.
    const notOnCurve: string[] = []
    for (let bump = 1n; notOnCurve.length < 5 && bump < 200n; bump++) {
      const x = BigInt(`0x${valid.slice(4)}`) + bump
      const candidate = `0x${valid.slice(2, 4)}${x.toString(16).padStart(94, '0')}`
      if (errorOf(() => decodeG1OnCurve(candidate))) notOnCurve.push(candidate)
    }
    expect(notOnCurve.length).toBe(5)
    const bad = [...notOnCurve, `0x9f${'ff'.repeat(47)}`, `0x${'00'.repeat(48)}`, `0xc0${'00'.repeat(47)}`, valid.slice(0, -2), 'not hex', 42]
    for (const value of bad) {
      const expected = errorOf(() => decodeG1OnCurve(value, 'share'))
      expect(expected).toBeDefined()
      expect(errorOf(() => curve.decodeG1OnCurve(value, 'share'))).toBe(expected)
    }
    expect(errorOf(() => decodeG1OnCurve(notOnCurve[0]!))).toMatch(/not a point on the curve/)
  })
})

describe('WebAssembly pairing check', () => {
  const { shares, network } = dealerKeygen({ t: 3, n: 4, seed: new Uint8Array(32).fill(9) })
  const groupKey = decodeG2(network.groupPublicKey)
  const signed = messages.slice(0, 4).map((m) => ({
    m,
    signature: decodeG1(
      combineShares(
        m,
        shares.slice(0, 3).map((s) => signShare(m, s)),
        network,
      ).signature,
    ),
  }))

  it("gives noble pairingCheck's answer for valid signatures, wrong messages and wrong keys", async () => {
    const curve = await createWasmCurve()
    const otherKey = sharePublicKey(shares[0]!)
    for (const [k, { m, signature }] of signed.entries()) {
      const wrong = hashToG1(messages[(k + 1) % messages.length]!)
      for (const [sig, hashed, key, expected] of [
        [signature, hashToG1(m), groupKey, true],
        [signature, wrong, groupKey, false],
        [signature, hashToG1(m), otherKey, false],
      ] as const) {
        expect(curve.pairingCheck(sig, hashed, key)).toBe(expected)
        expect(pairingCheck(sig, hashed, key)).toBe(expected)
      }
    }
  })

  it('throws as noble does for infinity and for a point outside the subgroup', async () => {
    const curve = await createWasmCurve()
    const off = hashToCurveG1BeforeClearing(new Uint8Array(32).fill(3), NEXUS_DST) as G1Point
    const zero = bls.G1.Point.ZERO as G1Point
    for (const [sig, hashed] of [
      [zero, hashToG1(messages[0]!)],
      [signed[0]!.signature, zero],
      [off, hashToG1(messages[0]!)],
      [signed[0]!.signature.add(off) as G1Point, hashToG1(signed[0]!.m)],
    ] as const) {
      expect(() => curve.pairingCheck(sig, hashed, groupKey)).toThrow()
      expect(() => pairingCheck(sig, hashed, groupKey)).toThrow()
    }
  })

  it('finds exactly the bad signatures of a group, and combines with a bad share excluded, as noble does', async () => {
    const curve = await createWasmCurve()
    const items = signed.map(({ m, signature }, k) => ({ hashed: hashToG1(m), signature: k === 2 ? (signature.double() as G1Point) : signature }))
    expect(findInvalidSignatures(items, groupKey, { multiply: curve.multiply, pairingCheck: curve.pairingCheck })).toEqual([2])
    expect(findInvalidSignatures(items, groupKey)).toEqual([2])
    const m = messages[5]!
    const bad = [signShare(m, shares[0]!), { ...signShare(messages[6]!, shares[1]!), index: 2 }, signShare(m, shares[2]!), signShare(m, shares[3]!)]
    const fast = combineShares(m, bad, network, { multiply: curve.multiply, pairingCheck: curve.pairingCheck })
    expect(fast).toEqual(combineShares(m, bad, network))
    expect(fast.signers).toEqual([1, 3, 4])
    expect(fast.rejected.map((r) => r.index)).toEqual([2])
  })
})

describe('wasm-loader', () => {
  it('loads the WebAssembly signer and multiplication, and gives noble on request', async () => {
    const { shares } = dealerKeygen({ t: 3, n: 4, seed: new Uint8Array(32).fill(6) })
    const warnings: string[] = []
    const wasm = await loadShareSigner(shares[0]!, 'wasm', (w) => warnings.push(w))
    const noble = await loadShareSigner(shares[0]!, 'noble')
    expect(wasm(messages[10]!)).toEqual(noble(messages[10]!))
    expect((await loadWasmCurve((w) => warnings.push(w)))?.multiply).toBeTypeOf('function')
    expect(warnings).toEqual([])
  })
})
