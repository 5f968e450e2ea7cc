// The state commitment: a sparse Merkle tree of depth 256 over keccak256 of each namespaced key
// ('k:' + KV key, 'f:' + file path). Empty subtrees hash to zero, so only non-empty nodes are
// stored, and one write costs 256 hashes and one indexed read of its siblings, whatever the
// state size. See docs/state.md for the proof format a verifier checks.
import { keccak_256 } from '@noble/hashes/sha3.js'

export const ZERO = new Uint8Array(32)
export const DEPTH = 256

const utf8 = new TextEncoder()

export function isZero(h: Uint8Array): boolean {
  for (const b of h) if (b !== 0) return false
  return true
}

export function treeKey(namespaced: string): Uint8Array {
  return keccak_256(utf8.encode(namespaced))
}

export function leafHash(key: Uint8Array, valueHash: Uint8Array): Uint8Array {
  return keccak_256(concat([Uint8Array.of(0), key, valueHash]))
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (isZero(left) && isZero(right)) return ZERO
  return keccak_256(concat([Uint8Array.of(1), left, right]))
}

/** Value hash of a KV value, a file or a directory (so a file and a key never collide). */
export function kvValueHash(value: Uint8Array): Uint8Array {
  return keccak_256(concat([Uint8Array.of(0), value]))
}
export function fileValueHash(entry: { kind: 'file'; data: Uint8Array } | { kind: 'dir' }): Uint8Array {
  return entry.kind === 'dir' ? keccak_256(Uint8Array.of(2)) : keccak_256(concat([Uint8Array.of(1), entry.data]))
}

function bit(key: Uint8Array, i: number): number {
  return (key[i >> 3]! >> (7 - (i & 7))) & 1
}

/** Node id: 2-byte depth, then the first `depth` bits of the key (the rest zeroed). */
export function nodeId(depth: number, key: Uint8Array): Uint8Array {
  const bytes = Math.ceil(depth / 8)
  const id = new Uint8Array(2 + bytes)
  id[0] = depth >> 8
  id[1] = depth & 0xff
  id.set(key.subarray(0, bytes), 2)
  if (depth % 8) id[id.length - 1]! &= 0xff << (8 - (depth % 8))
  return id
}

function siblingId(depth: number, key: Uint8Array): Uint8Array {
  const id = nodeId(depth, key)
  const i = depth - 1
  id[2 + (i >> 3)]! ^= 0x80 >> (i & 7)
  return id
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

export type NodeLoader = (ids: Uint8Array[]) => Promise<Map<string, Uint8Array>>

/**
 * Applies leaf changes (leaf hash, or ZERO to delete) and returns the new root plus every node
 * that changed (ZERO = delete). Keys are processed in the given order; callers pass them sorted.
 */
export async function updateTree(
  changes: [key: Uint8Array, leaf: Uint8Array][],
  load: NodeLoader,
): Promise<{ root: Uint8Array; nodes: Map<string, { id: Uint8Array; hash: Uint8Array }> }> {
  const nodes = new Map<string, { id: Uint8Array; hash: Uint8Array }>()
  const loaded = new Map<string, Uint8Array>()
  const get = (id: Uint8Array) => {
    const k = hex(id)
    return nodes.get(k)?.hash ?? loaded.get(k) ?? ZERO
  }
  const set = (id: Uint8Array, hash: Uint8Array) => nodes.set(hex(id), { id, hash })
  for (const [key, leaf] of changes) {
    const wanted: Uint8Array[] = []
    for (let d = 1; d <= DEPTH; d++) {
      const id = siblingId(d, key)
      const k = hex(id)
      if (!nodes.has(k) && !loaded.has(k)) wanted.push(id)
    }
    if (wanted.length) for (const [k, h] of await load(wanted)) loaded.set(k, h)
    for (const id of wanted) if (!loaded.has(hex(id))) loaded.set(hex(id), ZERO)
    let h = leaf
    set(nodeId(DEPTH, key), h)
    for (let d = DEPTH; d >= 1; d--) {
      const sibling = get(siblingId(d, key))
      h = bit(key, d - 1) ? nodeHash(sibling, h) : nodeHash(h, sibling)
      set(nodeId(d - 1, key), h)
    }
  }
  const rootNode = nodes.get(hex(nodeId(0, ZERO)))
  const root = rootNode?.hash ?? (await load([nodeId(0, ZERO)])).get(hex(nodeId(0, ZERO))) ?? ZERO
  return { root, nodes }
}

/** Verifies that `key` holds the leaf `leaf` (ZERO = absent) under `root`, given 256 siblings (leaf level first). */
export function verifyProof(root: Uint8Array, key: Uint8Array, leaf: Uint8Array, siblings: Uint8Array[]): boolean {
  if (siblings.length !== DEPTH) return false
  let h = leaf
  for (let d = DEPTH; d >= 1; d--) {
    const sibling = siblings[DEPTH - d]!
    h = bit(key, d - 1) ? nodeHash(sibling, h) : nodeHash(h, sibling)
  }
  return Buffer.compare(h, root) === 0
}

/** The sibling ids a proof for `key` needs, leaf level first. */
export function proofIds(key: Uint8Array): Uint8Array[] {
  const ids: Uint8Array[] = []
  for (let d = DEPTH; d >= 1; d--) ids.push(siblingId(d, key))
  return ids
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

export { hex as nodeKey }
