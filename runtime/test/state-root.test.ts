// The compact sparse Merkle tree (runtime/src/store/state-root.ts): the root is a function of the
// set of (key, leaf) pairs only, the stored rows are exactly those of a from-scratch build (no row
// left behind by a split or a collapse), and proofs accept exactly the true statements.
import { describe, expect, test } from 'vitest'
import {
  buildTree,
  isInner,
  leafHash,
  nodeHash,
  proveKeyPath,
  treeKey,
  updateTree,
  verifyProof,
  ZERO,
  type ChangedNodes,
  type NodeLoader,
  type StateProof,
} from '../src/store/state-root.ts'

/** A seeded PRNG, so a failing case can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

const key = (name: string) => treeKey(`k:${name}`)
const leafOf = (k: Uint8Array, value: string) => leafHash(k, treeKey(`v:${value}`))
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/** The rows a database would hold: what every batch wrote, deletions applied. */
function memoryStore() {
  const rows = new Map<string, Uint8Array>()
  const load: NodeLoader = async (ids) => {
    const found = new Map<string, Uint8Array>()
    for (let i = 0; i < ids.length; i++) {
      const v = rows.get(ids.keyAt(i))
      if (v) found.set(ids.keyAt(i), v)
    }
    return found
  }
  const write = (nodes: ChangedNodes) => {
    for (const [k, { hash }] of nodes) {
      if (hash.every((b) => b === 0)) rows.delete(k)
      else rows.set(k, hash)
    }
  }
  return { rows, load, write }
}

const rowsOf = (nodes: ChangedNodes) => new Map([...nodes].filter(([, n]) => n.hash.some((b) => b !== 0)).map(([k, n]) => [k, hex(n.hash)]))
const hexRows = (rows: Map<string, Uint8Array>) => new Map([...rows].map(([k, v]) => [k, hex(v)]))

describe('compact state tree', () => {
  test('paths deeper than one load (keys sharing 200 bits) update and prove against stored rows as in memory', async () => {
    // A path load asks for a window of levels; these keys' terminals lie far below it.
    const deep = (last: number) => {
      const k = new Uint8Array(32).fill(0xa5)
      k[31] = last
      return k
    }
    const [a, b, c] = [deep(0x00), deep(0xff), deep(0x80)]
    const store = memoryStore()
    const first = await updateTree(
      [
        [a, leafOf(a, '1')],
        [b, leafOf(b, '2')],
      ],
      store.load,
    )
    store.write(first.nodes)
    const second = await updateTree([[c, leafOf(c, '3')]], store.load)
    store.write(second.nodes)
    const expected = await buildTree([
      [a, leafOf(a, '1')],
      [b, leafOf(b, '2')],
      [c, leafOf(c, '3')],
    ])
    expect(hex(second.root)).toBe(hex(expected.root))
    expect(hexRows(store.rows)).toEqual(rowsOf(expected.nodes))
    const proof = await proveKeyPath(c, store.load)
    expect(proof.siblings.length).toBeGreaterThan(200)
    expect(verifyProof(second.root, c, leafOf(c, '3'), proof)).toBe(true)
  })

  test('empty tree is zero; one key is its leaf; two keys hash together at the level they diverge', async () => {
    expect(hex((await buildTree([])).root)).toBe(hex(ZERO))
    const a = key('a')
    const la = leafOf(a, '1')
    expect(hex((await buildTree([[a, la]])).root)).toBe(hex(la))
    const b = key('b')
    const lb = leafOf(b, '2')
    let split = 0
    while (((a[split >> 3]! ^ b[split >> 3]!) & (0x80 >> (split & 7))) === 0) split++
    const aFirst = (a[split >> 3]! & (0x80 >> (split & 7))) === 0
    let rep = aFirst ? nodeHash(la, lb) : nodeHash(lb, la)
    for (let d = split - 1; d >= 0; d--) {
      const right = (a[d >> 3]! & (0x80 >> (d & 7))) !== 0
      rep = right ? nodeHash(ZERO, rep) : nodeHash(rep, ZERO)
    }
    expect(
      hex(
        (
          await buildTree([
            [a, la],
            [b, lb],
          ])
        ).root,
      ),
    ).toBe(hex(rep))
  })

  test('the root and the stored rows depend only on the final set, whatever the order, batching and deletes', async () => {
    for (let seed = 1; seed <= 25; seed++) {
      const random = rng(seed)
      const names = Array.from({ length: 1 + Math.floor(random() * 60) }, (_, i) => `key${seed}-${i}`)
      const current = new Map<string, Uint8Array>()
      const store = memoryStore()
      let root: Uint8Array = ZERO
      for (let round = 0; round < 6; round++) {
        // A batch of random upserts and deletes (some of absent keys, some repeated in one batch).
        const batch: [Uint8Array, Uint8Array][] = []
        for (let i = Math.floor(random() * 30); i >= 0; i--) {
          const name = names[Math.floor(random() * names.length)]!
          const k = key(name)
          const leaf = random() < 0.35 ? ZERO : leafOf(k, `${round}-${i}`)
          batch.push([k, leaf])
          if (leaf === ZERO) current.delete(name)
          else current.set(name, leaf)
        }
        const updated = await updateTree(batch, store.load)
        store.write(updated.nodes)
        root = updated.root
        const scratch = await buildTree(
          shuffle(
            [...current].map(([name, leaf]) => [key(name), leaf]),
            random,
          ),
        )
        expect(hex(root), `seed ${seed} round ${round}`).toBe(hex(scratch.root))
        expect(hexRows(store.rows), `seed ${seed} round ${round}`).toEqual(rowsOf(scratch.nodes))
      }
      // Deleting everything, in random order, leaves an empty tree and no rows.
      const cleared = await updateTree(
        shuffle([...current.keys()], random).map((name) => [key(name), ZERO]),
        store.load,
      )
      store.write(cleared.nodes)
      expect(hex(cleared.root)).toBe(hex(ZERO))
      expect(store.rows.size).toBe(0)
    }
  })

  test('a write touches about log2(#keys) nodes, not 256', async () => {
    const store = memoryStore()
    const leaves = Array.from({ length: 1024 }, (_, i) => [key(`n${i}`), leafOf(key(`n${i}`), 'x')] as [Uint8Array, Uint8Array])
    store.write((await updateTree(leaves, store.load)).nodes)
    const one = await updateTree([[key('n7'), leafOf(key('n7'), 'y')]], store.load)
    expect(one.nodes.size).toBeLessThan(40)
    expect([...store.rows.values()].filter(isInner).length).toBeLessThan(2 * 1024)
  })
})

describe('state proofs', () => {
  async function fixture(count: number) {
    const store = memoryStore()
    const entries = Array.from({ length: count }, (_, i) => [key(`p${i}`), leafOf(key(`p${i}`), String(i))] as [Uint8Array, Uint8Array])
    const { root, nodes } = await updateTree(entries, store.load)
    store.write(nodes)
    const prove = (k: Uint8Array) => proveKeyPath(k, store.load)
    return { root, entries, prove }
  }

  test('membership holds for every key and fails for a wrong value; absence holds for absent keys only', async () => {
    for (const count of [0, 1, 2, 3, 17, 200]) {
      const { root, entries, prove } = await fixture(count)
      for (const [k, leaf] of entries) {
        const proof = await prove(k)
        expect(verifyProof(root, k, leaf, proof), `count ${count}`).toBe(true)
        expect(verifyProof(root, k, leafOf(k, 'wrong'), proof)).toBe(false)
        expect(verifyProof(root, k, ZERO, proof)).toBe(false)
        expect(proof.siblings.length).toBeLessThan(40)
      }
      for (let i = 0; i < 50; i++) {
        const absent = key(`absent${i}`)
        const proof = await prove(absent)
        expect(verifyProof(root, absent, ZERO, proof), `count ${count}`).toBe(true)
        expect(verifyProof(root, absent, leafOf(absent, '1'), proof)).toBe(false)
      }
    }
  })

  test("both kinds of absence appear: an empty terminal and another key's leaf on the path", async () => {
    const { root, prove } = await fixture(64)
    const kinds = new Set<string>()
    for (let i = 0; i < 200; i++) {
      const proof = await prove(key(`absent${i}`))
      kinds.add(proof.other ? 'other' : 'empty')
    }
    expect([...kinds].sort()).toEqual(['empty', 'other'])
    expect(root.length).toBe(32)
  })

  test('an absence proof for a present key, and a proof with a changed sibling list, fail', async () => {
    const { root, entries, prove } = await fixture(40)
    const [k, leaf] = entries[5]!
    const [k2, leaf2] = entries[6]!
    const proof = await prove(k)
    // Present key claimed absent by showing its own leaf as "another key's".
    expect(verifyProof(root, k, ZERO, { ...proof, other: { key: k, leaf } })).toBe(false)
    // Another key's leaf that does not share the path is not an absence proof.
    expect(verifyProof(root, k, ZERO, { ...proof, other: { key: k2, leaf: leaf2 } })).toBe(false)
    const variants: StateProof[] = [
      { siblings: proof.siblings.slice(1) },
      { siblings: proof.siblings.slice(0, -1) },
      { siblings: [ZERO, ...proof.siblings] },
      { siblings: [...proof.siblings, ZERO] },
      { siblings: [treeKey('x'), ...proof.siblings] },
      { siblings: [] },
    ]
    for (const variant of variants) expect(verifyProof(root, k, leaf, variant)).toBe(false)
    expect(verifyProof(root, k, leaf, proof)).toBe(true)
  })
})
