// Batched attestation (docs/protocol.md §4): a positional keccak256 Merkle tree over result
// digests. leaf = keccak256(0x00 ‖ digest), node = keccak256(0x01 ‖ left ‖ right); the last node
// of an odd level is promoted unchanged. The Solidity `verifyInBatch` implements the same walk.
import { keccak256Bytes } from '../hash/keccak.ts'
import { bytesToHex, hexToBytes } from 'viem/utils'
import type { Hex } from 'viem'
import { BadBatchProofError } from './errors.ts'

const leafBuffer = new Uint8Array(33)
const nodeBuffer = new Uint8Array(65)
nodeBuffer[0] = 0x01

function hashLeaf(digest: Uint8Array): Uint8Array {
  leafBuffer.set(digest, 1)
  return keccak256Bytes(leafBuffer)
}

function hashNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeBuffer.set(left, 1)
  nodeBuffer.set(right, 33)
  return keccak256Bytes(nodeBuffer)
}

function toBytes32(value: Hex, what: string): Uint8Array {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(value)) throw new BadBatchProofError(`${what} is not 32 bytes of hex`)
  return hexToBytes(value)
}

/** keccak256(0x00 ‖ digest): the leaf hash of one result digest. */
export function merkleLeaf(digest: Hex): Hex {
  return bytesToHex(hashLeaf(toBytes32(digest, 'digest')))
}

/** All levels, leaves first. */
function buildLevels(digests: readonly Hex[]): Uint8Array[][] {
  if (digests.length === 0) throw new BadBatchProofError('a batch needs at least one digest')
  const levels: Uint8Array[][] = [digests.map((d, i) => hashLeaf(toBytes32(d, `digest ${i}`)))]
  for (let level = levels[0]!; level.length > 1; ) {
    const next: Uint8Array[] = []
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? hashNode(level[i]!, level[i + 1]!) : level[i]!)
    levels.push(next)
    level = next
  }
  return levels
}

/**
 * Root of the batch tree over `digests` (in order). Replicas sign this root instead of each digest.
 * @example const root = merkleRoot(results.map((r) => r.digest))
 */
export function merkleRoot(digests: readonly Hex[]): Hex {
  const levels = buildLevels(digests)
  return bytesToHex(levels[levels.length - 1]![0]!)
}

/** Sibling hashes from leaf `index` up to the root, skipping levels where the node is promoted. */
export function merkleProof(digests: readonly Hex[], index: number): Hex[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= digests.length)
    throw new BadBatchProofError(`index ${index} outside the batch of ${digests.length}`)
  return proofFromLevels(buildLevels(digests), index)
}

function proofFromLevels(levels: Uint8Array[][], index: number): Hex[] {
  const proof: Hex[] = []
  let idx = index
  for (let l = 0; l < levels.length - 1; l++) {
    const level = levels[l]!
    const sibling = idx % 2 === 1 ? idx - 1 : idx + 1
    if (sibling < level.length) proof.push(bytesToHex(level[sibling]!))
    idx = Math.floor(idx / 2)
  }
  return proof
}

/** Root plus every proof at once (what a gateway needs after a batch is signed). */
export function merkleTree(digests: readonly Hex[]): { root: Hex; proofs: Hex[][] } {
  const levels = buildLevels(digests)
  return {
    root: bytesToHex(levels[levels.length - 1]![0]!),
    proofs: digests.map((_, i) => proofFromLevels(levels, i)),
  }
}

/** Recompute the root from a digest and its proof; throws `BadBatchProofError` on a malformed proof. */
export function merkleRootFromProof(digest: Hex, index: number, size: number, proof: readonly Hex[]): Hex {
  if (!Number.isSafeInteger(size) || size < 1) throw new BadBatchProofError(`batch size must be a positive integer, got ${size}`)
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new BadBatchProofError(`index ${index} outside the batch of ${size}`)
  let node = hashLeaf(toBytes32(digest, 'digest'))
  let idx = index
  let width = size
  let k = 0
  while (width > 1) {
    if (!(idx % 2 === 0 && idx === width - 1)) {
      if (k >= proof.length) throw new BadBatchProofError(`proof too short: ${proof.length} elements`)
      const sibling = toBytes32(proof[k]!, `proof[${k}]`)
      k++
      node = idx % 2 === 1 ? hashNode(sibling, node) : hashNode(node, sibling)
    }
    idx = Math.floor(idx / 2)
    width = Math.floor((width + 1) / 2)
  }
  if (k !== proof.length) throw new BadBatchProofError(`proof too long: ${proof.length} elements, ${k} used`)
  return bytesToHex(node)
}

/** Does `proof` place `digest` at `index` of a batch of `size` with this `root`? */
export function verifyMerkleProof(digest: Hex, index: number, size: number, proof: readonly Hex[], root: Hex): boolean {
  try {
    return merkleRootFromProof(digest, index, size, proof) === root.toLowerCase()
  } catch (err) {
    if (err instanceof BadBatchProofError) return false
    throw err
  }
}
