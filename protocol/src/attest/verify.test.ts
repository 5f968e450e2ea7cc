import { keccak256, toBytes, type Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import {
  combineShares,
  createAttestedResult,
  dealerKeygen,
  merkleTree,
  resultDigest,
  signShare,
  verifyResult,
  type AttestedResult,
  type ResultFields,
} from './index.ts'

const { network, shares } = dealerKeygen({ t: 3, n: 4, seed: toBytes('verify.test') })
const output: Hex = '0x7b226f6b223a747275657d'
const fields: ResultFields = {
  chainId: 31337n,
  verifier: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  codeHash: keccak256(toBytes('code')),
  seq: 42n,
  inputHash: keccak256(toBytes('input')),
  status: 0,
  outputHash: keccak256(output),
  stateRootBefore: keccak256(toBytes('s0')),
  stateRootAfter: keccak256(toBytes('s1')),
  fuelUsed: 9000n,
}
const digest = resultDigest(fields)
const { signature, signers } = combineShares(
  digest,
  shares.map((k) => signShare(digest, k)),
  network,
)
const good: AttestedResult = createAttestedResult({ fields, output, signature, signers, groupPublicKey: network.groupPublicKey })

async function codeOf(result: unknown, net = network) {
  const v = await verifyResult(result, net)
  return v.ok ? 'ok' : v.error.code
}

describe('verifyResult', () => {
  test('accepts a good result and survives a JSON round trip', async () => {
    expect(await verifyResult(JSON.parse(JSON.stringify(good)), network)).toEqual({ ok: true, digest })
  })

  test('rejects each kind of bad result with its own code', async () => {
    const other = dealerKeygen({ t: 3, n: 4, seed: toBytes('another network') })
    const cases: [string, unknown, string][] = [
      ['output changed', { ...good, output: '0x00' }, 'NEXUS_ATTEST_OUTPUT_MISMATCH'],
      ['seq flipped', { ...good, fields: { ...good.fields, seq: '43' } }, 'NEXUS_ATTEST_DIGEST_MISMATCH'],
      ['digest replaced too', { ...good, fields: { ...good.fields, seq: '43' }, digest: resultDigest({ ...fields, seq: 43n }) }, 'NEXUS_ATTEST_BAD_SIGNATURE'],
      ['other group key', { ...good, groupPublicKey: other.network.groupPublicKey }, 'NEXUS_ATTEST_WRONG_KEY'],
      ['too few signers', { ...good, signers: [1, 2] }, 'NEXUS_ATTEST_TOO_FEW_SIGNERS'],
      ['repeated signer', { ...good, signers: [1, 1, 2] }, 'NEXUS_ATTEST_MALFORMED_RESULT'],
      ['signer outside 1..n', { ...good, signers: [1, 2, 7] }, 'NEXUS_ATTEST_MALFORMED_RESULT'],
      ['47-byte signature', { ...good, signature: good.signature.slice(0, -2) }, 'NEXUS_ATTEST_MALFORMED_POINT'],
      ['infinity', { ...good, signature: `0xc0${'00'.repeat(47)}` }, 'NEXUS_ATTEST_MALFORMED_POINT'],
      ['not in subgroup', { ...good, signature: `0x80${'00'.repeat(46)}04` }, 'NEXUS_ATTEST_NOT_IN_SUBGROUP'],
      [
        'signed by another network, claiming ours',
        {
          ...good,
          signature: combineShares(
            digest,
            other.shares.map((k) => signShare(digest, k)),
            other.network,
          ).signature,
        },
        'NEXUS_ATTEST_BAD_SIGNATURE',
      ],
      ['status out of range', { ...good, fields: { ...good.fields, status: 4 } }, 'NEXUS_ATTEST_MALFORMED_RESULT'],
      ['seq ≥ 2^64', { ...good, fields: { ...good.fields, seq: (1n << 64n).toString() } }, 'NEXUS_ATTEST_MALFORMED_RESULT'],
      ['wrong protocol', { ...good, protocol: 'nexus.result.v2' }, 'NEXUS_ATTEST_MALFORMED_RESULT'],
      ['not an object', 'hello', 'NEXUS_ATTEST_MALFORMED_RESULT'],
    ]
    const got = await Promise.all(cases.map(async ([name, result]) => [name, await codeOf(result)]))
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(cases.map(([name, , code]) => [name, code])))
    // checked against another network, our result names the wrong key
    expect(await codeOf(good, other.network)).toBe('NEXUS_ATTEST_WRONG_KEY')
  })

  test('a network pinned to a chain and verifier rejects results for others', async () => {
    expect(await codeOf(good, { ...network, chainId: '1' })).toBe('NEXUS_ATTEST_FIELD_MISMATCH')
    expect(await codeOf(good, { ...network, verifier: '0x0000000000000000000000000000000000000001' })).toBe('NEXUS_ATTEST_FIELD_MISMATCH')
    expect(await codeOf(good, { ...network, chainId: '31337', verifier: '0x5fbdb2315678afecb367f032d93f642f64180aa3' })).toBe('ok')
  })

  test('error messages name the problem', async () => {
    const v = await verifyResult({ ...good, fields: { ...good.fields, inputHash: '0x1234' } }, network)
    expect(v.ok ? '' : v.error.message).toMatchInlineSnapshot(`
      "malformed fields.inputHash: expected 32 bytes of 0x-prefixed hex
      Docs: docs/protocol.md#5-result-json-what-the-gateway-serves"
    `)
    const w = await verifyResult({ ...good, signers: [1] }, network)
    expect(w.ok ? '' : w.error.message).toMatchInlineSnapshot(`"too few signers: 1 valid, threshold is 3"`)
  })

  test('zk results go to the zk verifier behind a dynamic import, and fail clearly when it is missing', async () => {
    const missing = await verifyResult({ protocol: 'nexus.result.v1', kind: 'zk' }, network, { zkVerifier: './does-not-exist.ts' })
    expect(missing.ok ? 'ok' : missing.error.code).toBe('NEXUS_ATTEST_ZK_UNAVAILABLE')
    const delegated = await verifyResult({ protocol: 'nexus.result.v1', kind: 'zk' }, network)
    expect(delegated.ok).toBe(false) // a zk result without a proof is never valid, whoever checks it
    if (!delegated.ok) expect(delegated.error.code).not.toBe('NEXUS_ATTEST_ZK_UNAVAILABLE')
  })
})

describe('verifyResult, protocol v2', () => {
  const v2Fields: ResultFields = { ...fields, functionId: 'victim' }
  const asAttested = (f: ResultFields, message: Hex, batch?: AttestedResult['batch']) =>
    createAttestedResult({
      fields: f,
      output,
      ...combineShares(
        message,
        shares.map((k) => signShare(message, k)),
        network,
      ),
      groupPublicKey: network.groupPublicKey,
      batch,
    })

  test('two functions with the same code, seq and roots have different digests; each result verifies only as its own function', async () => {
    const victim = asAttested(v2Fields, resultDigest(v2Fields))
    const otherFields: ResultFields = { ...fields, functionId: 'attacker' }
    expect(resultDigest(otherFields)).not.toBe(resultDigest(v2Fields))
    expect(resultDigest(v2Fields)).not.toBe(digest) // nor the v1 digest of the same fields
    expect(await verifyResult(JSON.parse(JSON.stringify(victim)), network, { functionId: 'victim' })).toEqual({ ok: true, digest: resultDigest(v2Fields) })
    const presented = { ...victim, fields: { ...victim.fields, functionId: 'attacker', functionIdHash: undefined }, digest: resultDigest(otherFields) }
    expect(await codeOf(presented)).toBe('NEXUS_ATTEST_BAD_SIGNATURE')
    const asked = await verifyResult(victim, network, { functionId: 'attacker' })
    expect(asked.ok ? 'ok' : asked.error.code).toBe('NEXUS_ATTEST_FIELD_MISMATCH')
    // v1 results still verify, but never for a caller who asks for a function.
    expect(await codeOf(good)).toBe('ok')
    const v1Asked = await verifyResult(good, network, { functionId: 'victim' })
    expect(v1Asked.ok ? 'ok' : v1Asked.error.code).toBe('NEXUS_ATTEST_FIELD_MISMATCH')
    const zkAsked = await verifyResult({ protocol: 'nexus.result.v1', kind: 'zk' }, network, { functionId: 'victim' })
    expect(zkAsked.ok ? 'ok' : zkAsked.error.shortMessage).toBe('wrong functionId: caller expects "victim", result has none (a zk result)')
  })

  test('a batch mixing v1 and v2 digests: a v2 result verifies by inclusion, and not as another function', async () => {
    const list = [
      { ...v2Fields, seq: 1n },
      { ...fields, seq: 2n },
      { ...v2Fields, seq: 3n },
    ]
    const tree = merkleTree(list.map(resultDigest))
    const batched = asAttested(list[2]!, tree.root, { root: tree.root, index: 2, size: 3, proof: tree.proofs[2]! })
    expect(batched.protocol).toBe('nexus.result.v2')
    expect(await codeOf(JSON.parse(JSON.stringify(batched)))).toBe('ok')
    const other: ResultFields = { ...list[2]!, functionId: 'attacker' }
    expect(await codeOf({ ...batched, fields: { ...batched.fields, functionId: 'attacker', functionIdHash: undefined }, digest: resultDigest(other) })).toBe(
      'NEXUS_ATTEST_BAD_BATCH_PROOF',
    )
  })
})
