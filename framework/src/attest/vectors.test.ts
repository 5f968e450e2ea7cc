// Conformance: every valid vector (made by an independent implementation) verifies, every invalid
// one is rejected, and our signing and hash-to-G1 reproduce the vectors byte for byte.
import { readFileSync } from 'node:fs'
import type { Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import { createWasmShareSigner } from './wasm-signer.ts'
import {
  combineShares,
  decodeG2,
  hashToG1Eip2537,
  g1ToEip2537,
  g2ToEip2537,
  decodeG1,
  parseNetwork,
  parseResultFields,
  resultDigest,
  signShare,
  verifyAttestation,
  type Network,
} from './index.ts'

type Vectors = {
  network: { t: number; n: number; dst: string; groupPublicKey: Hex; groupPublicKeyEip2537: Hex; shares: { index: number; secretKey: Hex; publicKey: Hex }[] }
  valid: { fields: unknown; digest: Hex; hashToG1Eip2537: Hex; shares: { index: number; signature: Hex }[]; signers: number[]; signature: Hex; signatureEip2537: Hex }[]
  invalid: { why: string; fields: unknown; signature: Hex }[]
}
const vectors = JSON.parse(
  readFileSync(new URL('../../../../shared/vectors/protocol-v1.json', import.meta.url), 'utf8'),
) as Vectors

const network: Network = parseNetwork({
  protocol: 'nexus.result.v1',
  t: vectors.network.t,
  n: vectors.network.n,
  groupPublicKey: vectors.network.groupPublicKey,
  sharePublicKeys: vectors.network.shares.map(({ index, publicKey }) => ({ index, publicKey })),
})

describe('protocol-v1 vectors', () => {
  test('DST and group key encodings', () => {
    expect(vectors.network.dst).toBe('NEXUS-V1-BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_')
    expect(g2ToEip2537(decodeG2(vectors.network.groupPublicKey))).toBe(vectors.network.groupPublicKeyEip2537)
  })

  test.each(vectors.valid.map((v, i) => [i, v] as const))('valid #%i: digest, hash-to-G1, shares, combination, verification', (_, v) => {
    const fields = parseResultFields(v.fields)
    expect(resultDigest(fields)).toBe(v.digest)
    expect(hashToG1Eip2537(v.digest)).toBe(v.hashToG1Eip2537)
    for (const key of vectors.network.shares) expect(signShare(v.digest, key)).toEqual(v.shares.find((s) => s.index === key.index))
    const chosen = v.shares.filter((s) => v.signers.includes(s.index))
    expect(combineShares(v.digest, chosen, network)).toEqual({ signature: v.signature, signers: v.signers, rejected: [] })
    expect(g1ToEip2537(decodeG1(v.signature))).toBe(v.signatureEip2537)
    expect(verifyAttestation({ fields, digest: v.digest, signature: v.signature, signers: v.signers, groupPublicKey: vectors.network.groupPublicKey }, network)).toBe(v.digest)
  })

  test('the WebAssembly signer reproduces every share of every valid vector', async () => {
    for (const key of vectors.network.shares) {
      const sign = await createWasmShareSigner(key)
      for (const v of vectors.valid) expect(sign(v.digest)).toEqual(v.shares.find((s) => s.index === key.index))
    }
  })

  const expectedCode: Record<string, string> = {
    'field flipped: fuelUsed + 1': 'NEXUS_ATTEST_BAD_SIGNATURE',
    'field flipped: outputHash last bit': 'NEXUS_ATTEST_BAD_SIGNATURE',
    'field flipped: verifier address': 'NEXUS_ATTEST_BAD_SIGNATURE',
    'only t-1 shares combined': 'NEXUS_ATTEST_BAD_SIGNATURE',
    'a single share presented as the group signature': 'NEXUS_ATTEST_BAD_SIGNATURE',
    'signature of another result': 'NEXUS_ATTEST_BAD_SIGNATURE',
    'point not in the G1 subgroup': 'NEXUS_ATTEST_NOT_IN_SUBGROUP',
    'malformed: 47 bytes': 'NEXUS_ATTEST_MALFORMED_POINT',
    'malformed: infinity': 'NEXUS_ATTEST_MALFORMED_POINT',
  }

  test('every invalid vector has a known reason', () => {
    expect(vectors.invalid.length).toBeGreaterThan(0)
    for (const v of vectors.invalid) expect(expectedCode, v.why).toHaveProperty([v.why])
  })

  test.each(vectors.invalid.map((v) => [v.why, v] as const))('invalid: %s', (why, v) => {
    const fields = parseResultFields(v.fields)
    let error: unknown
    try {
      verifyAttestation({ fields, signature: v.signature }, network)
    } catch (err) {
      error = err
    }
    expect(error).toBeDefined()
    expect((error as { code: string }).code).toBe(expectedCode[why])
  })
})
