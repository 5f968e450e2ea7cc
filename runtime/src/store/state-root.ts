// The state commitment: a compact sparse Merkle tree over keccak256 of each namespaced key
// ('k:' + KV key, 'f:' + file path), bits most significant first. Every subtree has a
// representation ("rep", 32 bytes):
//   - empty subtree:                  32 zero bytes;
//   - subtree holding exactly 1 leaf: the leaf hash itself, leaf = keccak256(0x00 ‖ k ‖ valueHash);
//   - subtree holding ≥ 2 leaves:     keccak256(0x01 ‖ leftRep ‖ rightRep).
// The state root is the rep of the whole tree. A leaf commits to its full key, so a single leaf
// can sit as high as its subtree allows: a write hashes only down to where its key diverges from
// its nearest neighbour (~log2(#keys) levels), not 256. The 0x00/0x01 prefixes keep leaf and inner
// preimages apart, so a path of reps binds its depth. See docs/runtime.md ("State root and proofs").
//
// Storage: one row per non-empty node that is an inner node or a single leaf; nothing is stored
// below a single leaf or an empty subtree. Node id = 2-byte depth ‖ the first `depth` bits of the
// path. The stored value (the `hash` column of smt_nodes) is self-describing by its length:
//   - 65 bytes, inner node:  0x01 ‖ leftRep ‖ rightRep — exactly the preimage of its rep, so a walk
//     down one path reads every sibling rep it needs from the path's own rows (no sibling rows);
//   - 64 bytes, single leaf: key ‖ leafHash — the key tells a walk whether it met the key it wants.
// Keeping both in the existing column (instead of a migration adding one) keeps one row per node
// and the one-query path load the write-behind store already does.
import { keccak256Bytes } from '@nexus/protocol'

export const ZERO = new Uint8Array(32)
export const DEPTH = 256

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
/** `function_state.tree_format` of trees in this format (1 was the fixed-depth 256-level tree). */
export const COMPACT_TREE = 2

const utf8 = new TextEncoder()
const INNER_TAG = 1

export function isZero(h: Uint8Array): boolean {
  for (const b of h) if (b !== 0) return false
  return true
}

export function treeKey(namespaced: string): Uint8Array {
  return keccak256Bytes(utf8.encode(namespaced))
}

export function leafHash(key: Uint8Array, valueHash: Uint8Array): Uint8Array {
  return keccak256Bytes(concat([Uint8Array.of(0), key, valueHash]))
}

/** Rep of a subtree with ≥ 2 leaves, from its children's reps. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return keccak256Bytes(concat([Uint8Array.of(INNER_TAG), left, right]))
}

/** Value hash of a KV value, a file or a directory (so a file and a key never collide). */
export function kvValueHash(value: Uint8Array): Uint8Array {
  return keccak256Bytes(concat([Uint8Array.of(0), value]))
}
export function fileValueHash(entry: { kind: 'file'; data: Uint8Array } | { kind: 'dir' }): Uint8Array {
  return entry.kind === 'dir' ? keccak256Bytes(Uint8Array.of(2)) : keccak256Bytes(concat([Uint8Array.of(1), entry.data]))
}

/** Bit `i` of `key`, most significant first: 0 = left, 1 = right. */
export function bit(key: Uint8Array, i: number): number {
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

/** A key whose path at `depth` is the node beside `key`'s (same parent, other side). */
function siblingKey(depth: number, key: Uint8Array): Uint8Array {
  const other = key.slice()
  const i = depth - 1
  other[i >> 3]! ^= 0x80 >> (i & 7)
  return other
}

/** Id of the node beside `nodeId(depth, key)` (same parent, other side). */
export function siblingId(depth: number, key: Uint8Array): Uint8Array {
  const id = nodeId(depth, key)
  const i = depth - 1
  id[2 + (i >> 3)]! ^= 0x80 >> (i & 7)
  return id
}

const DEPTH_HEX = Array.from({ length: DEPTH + 1 }, (_, d) => d.toString(16).padStart(4, '0'))
const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))

/** `nodeKey(nodeId(depth, key))`, from the key's hex, without building the id. */
function nodeKeyAt(depth: number, key: Uint8Array, keyHex: string): string {
  const whole = depth >> 3
  const rest = depth & 7
  const prefix = DEPTH_HEX[depth]! + keyHex.slice(0, 2 * whole)
  return rest ? prefix + BYTE_HEX[key[whole]! & (0xff << (8 - rest)) & 0xff] : prefix
}

/**
 * Consecutive ids of `key`'s path, from `fromDepth` down to `toDepth` (clamped to the deepest
 * level), top-down. A loader walks them until the first node that is not inner, usually two or
 * three levels: so ids are named (`keyAt`, their `nodeKey`) one at a time, as asked, instead of
 * allocating the whole window of ids for every key a commit touches.
 */
export class PathIds {
  readonly length: number
  constructor(
    private readonly key: Uint8Array,
    private readonly keyHex: string,
    private readonly fromDepth: number,
    toDepth: number,
  ) {
    this.length = Math.min(toDepth, DEPTH) - fromDepth + 1
  }
  static of(key: Uint8Array, fromDepth = 0, toDepth = DEPTH): PathIds {
    return new PathIds(key, hex(key), fromDepth, toDepth)
  }
  /** The `nodeKey` of the i-th id. */
  keyAt(i: number): string {
    return nodeKeyAt(this.fromDepth + i, this.key, this.keyHex)
  }
}

/**
 * Levels one path load asks for. A path ends at its terminal, ≈ log2(#keys) levels down, so asking
 * for all 257 ids allocated ≈ 250 that were never looked at, twice per KV write (≈ 7 % of a
 * replica's main thread in a backfill); a deeper path just takes another load.
 */
const PATH_WINDOW = 48

// ---- stored node values -------------------------------------------------------------------------

/** A stored node: ZERO = absent (empty subtree), 65 bytes = inner, 64 bytes = single leaf. */
export const isInner = (v: Uint8Array) => v.length === 65
export const isLeafNode = (v: Uint8Array) => v.length === 64
export const leafNode = (key: Uint8Array, leaf: Uint8Array) => concat([key, leaf])
const leafNodeKey = (v: Uint8Array) => v.subarray(0, 32)
const leafNodeHash = (v: Uint8Array) => v.subarray(32, 64)
/** One child's rep of an inner node: side 0 = left, 1 = right. */
const childRep = (inner: Uint8Array, side: number) => inner.subarray(1 + 32 * side, 33 + 32 * side)
const EMPTY_INNER = (() => {
  const v = new Uint8Array(65)
  v[0] = INNER_TAG
  return v
})()

function withChild(inner: Uint8Array, side: number, rep: Uint8Array): Uint8Array {
  const v = inner.slice()
  v.set(rep, 1 + 32 * side)
  return v
}

/** The rep of the subtree a stored node value stands for. */
export function repOf(v: Uint8Array): Uint8Array {
  if (isInner(v)) return keccak256Bytes(v)
  if (isLeafNode(v)) return leafNodeHash(v).slice()
  return ZERO
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0
}

/** How many leading bits two keys share (keys differ, so < 256). */
function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  let i = 0
  while (i < DEPTH && bit(a, i) === bit(b, i)) i++
  return i
}

// ---- updates ------------------------------------------------------------------------------------

/**
 * Reads stored nodes by id, answering by `nodeKey` (absent ids may be missing from the map or
 * ZERO). `updateTree` and proofs ask for consecutive ids of one key's path, top-down (one id is a
 * path of one level); a loader may leave out everything after the first id that is not an inner
 * node, since nothing is stored below a single leaf or an empty subtree.
 */
export type NodeLoader = (ids: PathIds) => Promise<Map<string, Uint8Array>>

export type ChangedNodes = Map<string, { id: Uint8Array; hash: Uint8Array }>

/** The nodes one batch of updates reads and writes, over whatever the loader holds. */
function treeView(load: NodeLoader) {
  const nodes: ChangedNodes = new Map()
  const loaded = new Map<string, Uint8Array>()
  const known = (k: string) => nodes.get(k)?.hash ?? loaded.get(k)

  return {
    nodes,
    put(id: Uint8Array, value: Uint8Array) {
      nodes.set(hex(id), { id, hash: value })
    },
    /** The node at `depth` on `key`'s path, loading it if needed. */
    async node(depth: number, key: Uint8Array): Promise<Uint8Array> {
      const one = PathIds.of(key, depth, depth)
      const k = one.keyAt(0)
      const v = known(k)
      if (v) return v
      const found = (await load(one)).get(k) ?? ZERO
      loaded.set(k, found)
      return found
    },
    /** `key`'s path down to its first non-inner node (the terminal), with one load per PATH_WINDOW levels at most. */
    async path(key: Uint8Array): Promise<Uint8Array[]> {
      const keyHex = hex(key)
      const path: Uint8Array[] = []
      for (let d = 0; d <= DEPTH; d++) {
        const k = nodeKeyAt(d, key, keyHex)
        let v = known(k)
        if (!v) {
          const window = new PathIds(key, keyHex, d, d + PATH_WINDOW)
          const found = await load(window)
          for (let i = 0; i < window.length; i++) {
            const name = window.keyAt(i)
            const w = found.get(name) ?? ZERO
            loaded.set(name, w)
            if (!isInner(w)) break
          }
          v = known(k)!
        }
        path.push(v)
        if (!isInner(v)) return path
      }
      throw new Error('state tree: an inner node at the deepest level')
    },
  }
}

type TreeView = ReturnType<typeof treeView>

/**
 * Applies leaf changes (leaf hash, or ZERO to delete) and returns the new root plus every node
 * that changed (value ZERO = delete the row). The root depends only on the resulting set of
 * (key, leaf) pairs, whatever the order or batching of the changes.
 */
export async function updateTree(changes: [key: Uint8Array, leaf: Uint8Array][], load: NodeLoader): Promise<{ root: Uint8Array; nodes: ChangedNodes }> {
  const view = treeView(load)
  let root: Uint8Array | undefined
  for (const [key, leaf] of changes) {
    const path = await view.path(key)
    root = isZero(leaf) ? await remove(view, key, path) : insert(view, key, leaf, path)
  }
  root ??= repOf(await view.node(0, ZERO))
  return { root, nodes: view.nodes }
}

/** Sets `key`'s leaf; `path` ends at the terminal (empty, a leaf of this key, or another key's leaf). */
function insert(view: TreeView, key: Uint8Array, leaf: Uint8Array, path: Uint8Array[]): Uint8Array {
  const depth = path.length - 1
  const terminal = path[depth]!
  const sameKeyOrEmpty = !isLeafNode(terminal) || equalBytes(leafNodeKey(terminal), key)
  if (sameKeyOrEmpty) {
    view.put(nodeId(depth, key), leafNode(key, leaf))
    return climb(view, key, path, depth, leaf)
  }
  // Another key's leaf: both go one level below where the keys diverge, and the levels from the
  // terminal down to there become inner nodes with one empty child.
  const other = leafNodeKey(terminal)
  const split = commonPrefixBits(key, other)
  view.put(nodeId(split + 1, other), terminal)
  view.put(nodeId(split + 1, key), leafNode(key, leaf))
  let rep = leaf
  let inner = withChild(EMPTY_INNER, 1 - bit(key, split), leafNodeHash(terminal))
  for (let d = split; d >= depth; d--) {
    const v = withChild(inner, bit(key, d), rep)
    view.put(nodeId(d, key), v)
    rep = keccak256Bytes(v)
    inner = EMPTY_INNER
  }
  return climb(view, key, path, depth, rep)
}

/** Rewrites the inner nodes above `depth` on `key`'s path, whose child there now has rep `rep`; returns the root. */
function climb(view: TreeView, key: Uint8Array, path: Uint8Array[], depth: number, rep: Uint8Array): Uint8Array {
  for (let d = depth - 1; d >= 0; d--) {
    const v = withChild(path[d]!, bit(key, d), rep)
    view.put(nodeId(d, key), v)
    rep = keccak256Bytes(v)
  }
  return rep
}

/**
 * Deletes `key`'s leaf, if present. A node left with an empty child and a single leaf as the other
 * child becomes that leaf, so the remaining leaf moves up until its sibling is non-empty.
 */
async function remove(view: TreeView, key: Uint8Array, path: Uint8Array[]): Promise<Uint8Array> {
  let depth = path.length - 1
  const terminal = path[depth]!
  if (!isLeafNode(terminal) || !equalBytes(leafNodeKey(terminal), key)) return repOf(path[0]!)
  view.put(nodeId(depth, key), ZERO)
  // An inner node had ≥ 2 leaves, so the removed leaf's sibling is non-empty: if it is a single
  // leaf it replaces the parent, and keeps rising while the level above has nothing beside it.
  if (depth === 0) return ZERO
  const sibling = await view.node(depth, siblingKey(depth, key))
  if (!isLeafNode(sibling)) return climb(view, key, path, depth, ZERO)
  view.put(siblingId(depth, key), ZERO)
  depth--
  while (depth > 0 && isZero(childRep(path[depth - 1]!, 1 - bit(key, depth - 1)))) {
    view.put(nodeId(depth, key), ZERO)
    depth--
  }
  view.put(nodeId(depth, key), sibling)
  return climb(view, key, path, depth, leafNodeHash(sibling).slice())
}

/** The root of a tree holding exactly these (key, leaf) pairs, built in memory. */
export async function buildTree(leaves: [key: Uint8Array, leaf: Uint8Array][]): Promise<{ root: Uint8Array; nodes: ChangedNodes }> {
  return updateTree(leaves, async () => new Map())
}

// ---- proofs -------------------------------------------------------------------------------------

/**
 * A proof for one key: `siblings` are the reps beside the key's path from its terminal depth
 * t = siblings.length up to depth 1 (siblings[0] is beside the depth-t node). For a present key the
 * depth-t node is its leaf; for an absent key it is empty (no `other`), or `other`, a single leaf
 * of another key that shares the key's first t bits.
 */
export type StateProof = {
  siblings: Uint8Array[]
  other?: { key: Uint8Array; leaf: Uint8Array }
}

/** A `StateProof` as a replica sends it (0x-hex). */
export type HexStateProof = {
  siblings: `0x${string}`[]
  other?: { key: `0x${string}`; leaf: `0x${string}` }
}

/** The bytes of a proof a replica returned. */
export function stateProofFromHex(proof: HexStateProof): StateProof {
  const bytes = (h: string) => new Uint8Array(Buffer.from(h.slice(2), 'hex'))
  const siblings = proof.siblings.map(bytes)
  return proof.other ? { siblings, other: { key: bytes(proof.other.key), leaf: bytes(proof.other.leaf) } } : { siblings }
}

/** Builds the proof for `key` from its path (top-down, ending at its terminal node). */
export function proofFromPath(key: Uint8Array, path: Uint8Array[]): StateProof {
  const depth = path.length - 1
  const siblings: Uint8Array[] = []
  for (let d = depth - 1; d >= 0; d--) siblings.push(childRep(path[d]!, 1 - bit(key, d)).slice())
  const terminal = path[depth]!
  if (isLeafNode(terminal) && !equalBytes(leafNodeKey(terminal), key)) {
    return { siblings, other: { key: leafNodeKey(terminal).slice(), leaf: leafNodeHash(terminal).slice() } }
  }
  return { siblings }
}

/** Loads `key`'s path and returns its proof against the current root. */
export async function proveKeyPath(key: Uint8Array, load: NodeLoader): Promise<StateProof> {
  return proofFromPath(key, await treeView(load).path(key))
}

/**
 * Verifies that `key` holds `leaf` (ZERO = absent) under `root`.
 * @example verifyProof(root, treeKey('k:a'), leafHash(treeKey('k:a'), kvValueHash(value)), proof)
 */
export function verifyProof(root: Uint8Array, key: Uint8Array, leaf: Uint8Array, proof: StateProof): boolean {
  const { siblings, other } = proof
  const depth = siblings.length
  if (depth > DEPTH || key.length !== 32 || leaf.length !== 32 || root.length !== 32) return false
  // In a real tree the node beside a terminal is never empty (its parent holds ≥ 2 leaves).
  if (depth > 0 && isZero(siblings[0]!)) return false
  let rep: Uint8Array
  if (!isZero(leaf)) {
    if (other) return false
    rep = leaf
  } else if (other) {
    const sharesPath = other.key.length === 32 && commonPrefixBits(key, other.key) >= depth && !equalBytes(other.key, key)
    if (!sharesPath || other.leaf.length !== 32 || isZero(other.leaf)) return false
    rep = other.leaf
  } else {
    rep = ZERO
  }
  for (let d = depth - 1; d >= 0; d--) {
    const sibling = siblings[depth - 1 - d]!
    if (sibling.length !== 32) return false
    rep = bit(key, d) ? nodeHash(sibling, rep) : nodeHash(rep, sibling)
  }
  return equalBytes(rep, root)
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

export { hex as nodeKey }
