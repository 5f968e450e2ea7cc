import { concat, keccak256, toBytes, type Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import {
  combineShares,
  createAttestedResult,
  dealerKeygen,
  merkleLeaf,
  merkleProof,
  merkleRoot,
  merkleRootFromProof,
  merkleTree,
  resultDigest,
  signShare,
  verifyMerkleProof,
  verifyResult,
  type ResultFields,
} from './index.ts'

const digests = (count: number): Hex[] => Array.from({ length: count }, (_, i) => keccak256(toBytes(`digest ${i}`)))
const node = (l: Hex, r: Hex) => keccak256(concat(['0x01', l, r]))

describe('Merkle tree (docs/protocol.md §4)', () => {
  test('matches the written definition on small trees (leaf prefix 0x00, node prefix 0x01, odd node promoted)', () => {
    const d = digests(5)
    const L = d.map((x) => keccak256(concat(['0x00', x])))
    expect(merkleLeaf(d[0]!)).toBe(L[0])
    expect(merkleRoot(d.slice(0, 1))).toBe(L[0])
    expect(merkleRoot(d.slice(0, 2))).toBe(node(L[0]!, L[1]!))
    expect(merkleRoot(d.slice(0, 3))).toBe(node(node(L[0]!, L[1]!), L[2]!))
    expect(merkleRoot(d)).toBe(node(node(node(L[0]!, L[1]!), node(L[2]!, L[3]!)), L[4]!))
    expect(merkleProof(d, 4)).toEqual([node(node(L[0]!, L[1]!), node(L[2]!, L[3]!))]) // promoted twice, one sibling
    expect(merkleProof(d, 2)).toEqual([L[3], node(L[0]!, L[1]!), L[4]])
  })

  test('every proof verifies for every size up to 33', () => {
    for (let size = 1; size <= 33; size++) {
      const d = digests(size)
      const { root, proofs } = merkleTree(d)
      expect(root).toBe(merkleRoot(d))
      for (let i = 0; i < size; i++) {
        expect(proofs[i]).toEqual(merkleProof(d, i))
        expect(verifyMerkleProof(d[i]!, i, size, proofs[i]!, root)).toBe(true)
      }
    }
  })

  test('forged proofs fail', () => {
    const d = digests(10)
    const { root, proofs } = merkleTree(d)
    const proof = proofs[3]!
    expect(verifyMerkleProof(keccak256(toBytes('not in batch')), 3, 10, proof, root)).toBe(false) // other digest
    expect(verifyMerkleProof(d[3]!, 2, 10, proof, root)).toBe(false) // wrong index
    expect(verifyMerkleProof(d[3]!, 3, 10, [...proof.slice(0, -1), keccak256('0x01')], root)).toBe(false) // altered sibling
    expect(verifyMerkleProof(d[3]!, 3, 10, proof.slice(1), root)).toBe(false) // too short
    expect(verifyMerkleProof(d[3]!, 3, 10, [...proof, proof[0]!], root)).toBe(false) // too long
    expect(verifyMerkleProof(d[3]!, 3, 3, proof, root)).toBe(false) // wrong size
    expect(verifyMerkleProof(d[3]!, 10, 10, proof, root)).toBe(false) // index out of range
    // second preimage: an inner node presented as a leaf digest does not verify
    const L = d.map((x) => keccak256(concat(['0x00', x])))
    const inner = node(L[0]!, L[1]!)
    expect(verifyMerkleProof(inner, 0, 5, merkleProof(d, 0).slice(1), root)).toBe(false)
    expect(() => merkleRootFromProof(d[0]!, 0, 0, [])).toThrow(/batch size/)
    expect(() => merkleRoot([])).toThrow(/at least one digest/)
  })
})

describe('batched attestation end to end', () => {
  const { network, shares } = dealerKeygen({ t: 3, n: 4, seed: toBytes('batch.test') })
  const base = {
    chainId: 1n,
    verifier: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    codeHash: keccak256(toBytes('code')),
    inputHash: keccak256(toBytes('in')),
    status: 0,
    stateRootBefore: keccak256(toBytes('s0')),
    stateRootAfter: keccak256(toBytes('s1')),
    fuelUsed: 10n,
  } as const
  const outputs: Hex[] = Array.from({ length: 7 }, (_, i) => `0x0${i}` as Hex)
  const fieldsList: ResultFields[] = outputs.map((output, i) => ({ ...base, seq: BigInt(i + 1), outputHash: keccak256(output) }))
  const batchDigests = fieldsList.map(resultDigest)
  const { root, proofs } = merkleTree(batchDigests)
  const { signature, signers } = combineShares(
    root,
    shares.slice(1).map((k) => signShare(root, k)),
    network,
  )
  const results = fieldsList.map((fields, i) =>
    createAttestedResult({
      fields,
      output: outputs[i]!,
      signature,
      signers,
      groupPublicKey: network.groupPublicKey,
      batch: { root, index: i, size: 7, proof: proofs[i]! },
    }),
  )

  test('every result of a signed batch verifies with its inclusion proof', async () => {
    for (const [i, result] of results.entries()) expect(await verifyResult(result, network)).toEqual({ ok: true, digest: batchDigests[i] })
  })

  test('a digest the caller already checked is served as computed (lower-case), not computed again', () => {
    const i = 3
    const p = { fields: fieldsList[i]!, output: outputs[i]!, signature, signers, groupPublicKey: network.groupPublicKey, batch: results[i]!.batch! }
    const upper = `0x${batchDigests[i]!.slice(2).toUpperCase()}` as Hex
    expect(createAttestedResult({ ...p, checkedDigest: upper })).toEqual(results[i])
  })

  test('a forged inclusion proof or a moved result fails with BAD_BATCH_PROOF', async () => {
    const r = results[2]!
    const forged = await verifyResult({ ...r, batch: { ...r.batch!, proof: [keccak256('0x'), ...r.batch!.proof.slice(1)] } }, network)
    const moved = await verifyResult({ ...r, batch: { ...r.batch!, index: 3 } }, network)
    const foreign = createAttestedResult({
      fields: { ...fieldsList[2]!, seq: 99n },
      output: outputs[2]!,
      signature,
      signers,
      groupPublicKey: network.groupPublicKey,
      batch: r.batch,
    })
    for (const v of [forged, moved, await verifyResult(foreign, network)]) {
      expect(v.ok).toBe(false)
      if (!v.ok) expect(v.error.code).toBe('NEXUS_ATTEST_BAD_BATCH_PROOF')
    }
  })

  test('a root not signed by the network fails with BAD_SIGNATURE; a per-digest signature is not a batch signature', async () => {
    const r = results[0]!
    const otherRoot = merkleRoot(batchDigests.slice(0, 1)) // a real root of another batch, not signed
    const v = await verifyResult({ ...r, batch: { root: otherRoot, index: 0, size: 1, proof: [] } }, network)
    expect(v.ok ? 'ok' : v.error.code).toBe('NEXUS_ATTEST_BAD_SIGNATURE')
    const { batch: _, ...unbatched } = r // signature is over the root, not the digest
    const w = await verifyResult(unbatched, network)
    expect(w.ok ? 'ok' : w.error.code).toBe('NEXUS_ATTEST_BAD_SIGNATURE')
  })
})
