// Conformance: every valid vector (made by an independent implementation) verifies, every invalid
// one is rejected, and our signing and hash-to-G1 reproduce the vectors byte for byte — for
// protocol v1 and for protocol v2 (the function id in the digest).
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
  fieldsToJson,
  parseNetwork,
  parseResultFields,
  resultDigest,
  signShare,
  verifyAttestation,
  type Network,
} from './index.ts'

type Vectors = {
  network: { t: number; n: number; dst: string; groupPublicKey: Hex; groupPublicKeyEip2537: Hex; shares: { index: number; secretKey: Hex; publicKey: Hex }[] }
  valid: {
    fields: unknown
    digest: Hex
    hashToG1Eip2537: Hex
    shares: { index: number; signature: Hex }[]
    signers: number[]
    signature: Hex
    signatureEip2537: Hex
  }[]
  invalid: { why: string; fields: unknown; signature: Hex }[]
}
const load = (name: string) => JSON.parse(readFileSync(new URL(`../../../../shared/vectors/${name}.json`, import.meta.url), 'utf8')) as Vectors

describe.each(['protocol-v1', 'protocol-v2'])('%s vectors', (name) => {
  const vectors = load(name)
  const network: Network = parseNetwork({
    protocol: 'nexus.result.v1', // network files keep their v1 tag: keys and signatures did not change in v2
    t: vectors.network.t,
    n: vectors.network.n,
    groupPublicKey: vectors.network.groupPublicKey,
    sharePublicKeys: vectors.network.shares.map(({ index, publicKey }) => ({ index, publicKey })),
  })

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
    expect(
      verifyAttestation({ fields, digest: v.digest, signature: v.signature, signers: v.signers, groupPublicKey: vectors.network.groupPublicKey }, network),
    ).toBe(v.digest)
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
    // v2 only
    'result of one function presented as another with the same code': 'NEXUS_ATTEST_BAD_SIGNATURE',
    'v2 result presented as v1 (function id dropped)': 'NEXUS_ATTEST_BAD_SIGNATURE',
  }

  test('every invalid vector has a known reason', () => {
    expect(vectors.invalid.length).toBe(name === 'protocol-v1' ? 9 : 11)
    expect(vectors.valid.length).toBe(name === 'protocol-v1' ? 4 : 5)
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

describe('protocol-v2 vectors: the JSON shape', () => {
  const vectors = load('protocol-v2')
  const asStrings = (f: Record<string, unknown>) => ({ ...f, chainId: String(f.chainId), seq: String(f.seq), fuelUsed: String(f.fuelUsed) })

  test('our fields JSON is the vectors’ fields JSON (protocol, functionId, functionIdHash), key for key', () => {
    for (const v of vectors.valid) {
      const json = fieldsToJson(parseResultFields(v.fields))
      expect(JSON.stringify(json)).toBe(JSON.stringify(asStrings(v.fields as Record<string, unknown>)))
    }
  })

  test('a functionIdHash that is not the hash of functionId, a v2 tag without a function id, and a v1 tag with one are malformed', () => {
    const fields = vectors.valid[0]!.fields as Record<string, unknown>
    const codeOf = (f: unknown) => {
      try {
        parseResultFields(f)
      } catch (err) {
        return `${(err as { code: string }).code} ${(err as { shortMessage: string }).shortMessage}`
      }
      return 'parsed'
    }
    const otherFunction = vectors.invalid.find((v) => v.why.startsWith('result of one function'))!.fields as { functionIdHash: string }
    expect(codeOf({ ...fields, functionIdHash: otherFunction.functionIdHash })).toBe(
      'NEXUS_ATTEST_MALFORMED_RESULT malformed fields.functionIdHash: is not keccak256(utf8(functionId))',
    )
    const { functionId: _, functionIdHash: __, ...withoutId } = fields
    expect(codeOf(withoutId)).toBe('NEXUS_ATTEST_MALFORMED_RESULT malformed fields.functionId: required by nexus.result.v2')
    expect(codeOf({ ...fields, protocol: 'nexus.result.v1' })).toBe(
      'NEXUS_ATTEST_MALFORMED_RESULT malformed fields.functionId: a nexus.result.v1 result has no function id',
    )
    expect(codeOf({ ...fields, functionId: 'a\ud800', functionIdHash: undefined })).toMatch(/malformed fields.functionId: expected a non-empty string/)
    expect(codeOf({ ...fields, protocol: 'nexus.result.v3' })).toMatch(/malformed fields.protocol/)
    // The replicas' wire carries functionId without protocol/functionIdHash: still v2.
    expect(resultDigest(parseResultFields({ ...withoutId, protocol: undefined, functionId: fields.functionId }))).toBe(vectors.valid[0]!.digest)
  })
})
