// The write-behind store (runtime/src/store/hot-store.ts), run once per storage backend (see
// replica.test.ts): it must not change a single byte of what a replica signs, and a crash may
// lose only unflushed invocations, which re-execute to the same results.
import { expect, test } from 'vitest'
import { sql } from 'drizzle-orm'
import { toHex } from 'viem'
import { type Replica, type ReplicaOptions, type ExecutedResult } from '../src/index.ts'
import { openStore } from '../src/store/database.ts'
import { createHotStore, StoreBacklogError } from '../src/store/hot-store.ts'
import { files, functionState, kvEntries, smtNodes } from '../src/store/schema.ts'
import { buildTree, fileValueHash, kvValueHash, leafHash, nodeId, treeKey, verifyProof } from '../src/store/state-root.ts'
import { mixedFixture } from './fixtures/build-fixture.ts'
import { mixedWorkload } from './fixtures/workload.ts'
import type { Backend } from '@nexus/testkit/backends'
import { replicaSuite } from './fixtures/replica-suite.ts'

const enc = new TextEncoder()

export function defineHotStoreSuite(makeBackend: () => Promise<Backend>) {
  const suite = replicaSuite(makeBackend)
  const { keys, open, request } = suite
  // Every replica here signs with share 1 on its own store: runs that must agree byte for byte.
  const replica = (i: number, store?: ReplicaOptions['store']) => suite.replica(i, { storeIndex: 100 + i, shareKey: keys.shares[0], store })

  async function crash(r: Replica) {
    open.splice(open.indexOf(r), 1)
    await r.close({ discardUnflushed: true })
  }

  const summary = (r: ExecutedResult) => ({ fields: r.fields, digest: r.digest, output: toHex(r.output), share: r.share })

  test('write-behind signs exactly what flushing every commit signs: results, roots, proofs, batches', async () => {
    const ops = mixedWorkload(150, 3)
    // 0 = durable before each answer; default = group commit; the third flushes every 3
    // invocations and keeps tiny caches, so reads go through every layer and to the database.
    const [durable, behind, churn] = [
      await replica(1, { flushDelayMs: 0 }),
      await replica(2),
      await replica(3, { flushDelayMs: 1, flushAt: 3, cacheEntries: 20 }),
    ]
    const { codeHash } = await durable.deploy(await mixedFixture())
    await behind.deploy(await mixedFixture())
    await churn.deploy(await mixedFixture())
    for (let i = 0; i < 100; i++) {
      const req = request(codeHash, i + 1, ops[i]!)
      const expected = summary(await durable.execute(req))
      expect(summary(await behind.execute(req)), `seq ${i + 1}`).toEqual(expected)
      expect(summary(await churn.execute(req)), `seq ${i + 1}`).toEqual(expected)
    }
    const tail = ops.slice(100).map((op, k) => request(codeHash, 101 + k, op))
    const batch = await durable.executeBatch(tail)
    expect((await behind.executeBatch(tail)).root).toBe(batch.root)
    expect((await churn.executeBatch(tail)).root).toBe(batch.root)
    const statuses = new Set(batch.results.map((r) => r.fields.status))
    expect(statuses.size).toBeGreaterThan(1)
    const state = await durable.state('mixed')
    for (const r of [behind, churn]) {
      expect(await r.state('mixed')).toEqual(state)
      for (const key of ['a', 'b', 'z/1', 'never']) expect(await r.proveKey('mixed', key)).toEqual(await durable.proveKey('mixed', key))
    }
    // What was flushed is what was signed: a restart reads the same state from the database.
    open.splice(open.indexOf(behind), 1)
    await behind.close()
    const reopened = await replica(2)
    expect(await reopened.state('mixed')).toEqual(state)
    expect(await reopened.proveKey('mixed', 'a')).toEqual(await durable.proveKey('mixed', 'a'))
  })

  test('a crash loses only unflushed invocations; the store restarts consistent and re-executes them identically', async () => {
    const ops = [...mixedWorkload(40, 11), { op: 'incr', key: 'a' }, { op: 'incr', key: 'b', n: 2 }, { op: 'incr', key: 'a' }]
    // No timer flush: only range reads (kv.scan, ls) flush, so the incr tail stays in memory.
    const r = await replica(4, { flushDelayMs: 60_000 })
    const { codeHash } = await r.deploy(await mixedFixture())
    const signed: ReturnType<typeof summary>[] = []
    for (let i = 0; i < ops.length; i++) signed.push(summary(await r.execute(request(codeHash, i + 1, ops[i]!))))
    await crash(r)
    const again = await replica(4)
    const { lastAppliedSeq, stateRoot } = await again.state('mixed')
    const last = Number(lastAppliedSeq)
    expect(last).toBeGreaterThan(0)
    expect(last).toBeLessThan(ops.length)
    // The durable state is the one signed at that seq, so the gateway can resend from last + 1.
    expect(stateRoot).toBe(signed[last - 1]!.fields.stateRootAfter)
    expect(summary(await again.execute(request(codeHash, last, ops[last - 1]!)))).toEqual(signed[last - 1])
    for (let i = last; i < ops.length; i++) expect(summary(await again.execute(request(codeHash, i + 1, ops[i]!)))).toEqual(signed[i])
  })

  test('a re-sent seq still only in memory is answered from the pending record, not re-run', async () => {
    const r = await replica(5, { flushDelayMs: 60_000 })
    const { codeHash } = await r.deploy(await mixedFixture())
    const first = await r.execute(request(codeHash, 1, { op: 'incr', key: 'k', n: 1 }))
    const second = await r.execute(request(codeHash, 2, { op: 'incr', key: 'k', n: 2 }))
    await r.execute(request(codeHash, 3, { op: 'incr', key: 'k', n: 3 }))
    // Re-running seq 2 would fail (seq 3 is applied) or give n = 8; the record gives n = 3.
    const resent = await r.execute(request(codeHash, 2, { op: 'incr', key: 'k', n: 2 }))
    expect(summary(resent)).toEqual(summary(second))
    expect(resent.logs).toEqual([])
    expect(summary(await r.execute(request(codeHash, 1, { op: 'incr', key: 'k', n: 1 })))).toEqual(summary(first))
    // And it was memory: none of it had reached the database.
    await crash(r)
    expect((await (await replica(5)).state('mixed')).lastAppliedSeq).toBe(0n)
  })

  test('a failing flush keeps its layer, commits fail past the cap, and a later flush writes everything', async () => {
    const handle = await openStore({ ...suite.backend().store(106), migrations: 'replica' })
    try {
      const store = createHotStore(handle.db, { flushDelayMs: 60_000, maxPending: 3 })
      const commit = async (seq: bigint) => {
        const { stateRoot } = await store.state('f')
        return store.commit(
          'f',
          {
            seq,
            codeHash: '0x01',
            inputHash: new Uint8Array(32),
            status: 0,
            output: new Uint8Array(0),
            fuelUsed: 0n,
            stateRootBefore: stateRoot,
          },
          { kv: [[`k${seq}`, enc.encode(String(seq))]], files: [] },
        )
      }
      await commit(1n)
      await handle.db.execute(sql.raw('ALTER TABLE applied_results RENAME TO applied_results_away'))
      await expect(store.flush()).rejects.toThrow()
      // Still visible after the failed transaction.
      expect(await store.read('f', { op: 'kv.get', key: 'k1' })).toEqual(enc.encode('1'))
      expect((await store.applied('f', 1n))?.seq).toBe(1n)
      await commit(2n)
      const root3 = await commit(3n)
      await expect(commit(4n)).rejects.toThrow(StoreBacklogError)
      await handle.db.execute(sql.raw('ALTER TABLE applied_results_away RENAME TO applied_results'))
      await store.flush()
      await store.close()
      const fresh = createHotStore(handle.db)
      expect(await fresh.state('f')).toEqual({ lastAppliedSeq: 3n, stateRoot: root3 })
      expect(await fresh.read('f', { op: 'kv.scan', prefix: 'k', startAfter: null, limit: 10 })).toEqual([
        ['k1', enc.encode('1')],
        ['k2', enc.encode('2')],
        ['k3', enc.encode('3')],
      ])
    } finally {
      await handle.close()
    }
  })

  test('a store holding the old 256-level tree is rebuilt once, on first load, to the compact tree of its KV entries and files', async () => {
    const location = suite.backend().store(107)
    const kv: [string, string][] = [
      ['a', '1'],
      ['b', '22'],
      ['c/d', '333'],
    ]
    const oldRoot = treeKey('an old root')
    // A data directory from before migrations/replica/0001: no tree_format column, 256-level rows.
    const old = await openStore({ ...location, migrations: 'replica' })
    try {
      await old.db.execute(sql.raw(`DELETE FROM nexus_migrations WHERE name = 'replica/0001_tree_format.sql'`))
      await old.db.execute(sql.raw('ALTER TABLE function_state DROP COLUMN tree_format'))
      await old.db.insert(kvEntries).values(kv.map(([k, v]) => ({ functionId: 'old', key: enc.encode(k), value: enc.encode(v) })))
      await old.db.insert(files).values([
        { functionId: 'old', path: enc.encode('docs'), parent: enc.encode(''), kind: 1, data: null },
        { functionId: 'old', path: enc.encode('docs/x.txt'), parent: enc.encode('docs'), kind: 0, data: enc.encode('hello') },
      ])
      const oldNodes = [nodeId(0, new Uint8Array(32)), ...kv.map(([k]) => nodeId(256, treeKey(`k:${k}`)))]
      await old.db.insert(smtNodes).values(oldNodes.map((node, i) => ({ functionId: 'old', node, hash: i === 0 ? oldRoot : treeKey(`old ${i}`) })))
      await old.db.execute(sql`INSERT INTO function_state (function_id, last_applied_seq, state_root) VALUES ('old', 3, ${Buffer.from(oldRoot)})`)
    } finally {
      await old.close()
    }

    const kvLeaf = (k: string, v: string) => [treeKey(`k:${k}`), leafHash(treeKey(`k:${k}`), kvValueHash(enc.encode(v)))] as [Uint8Array, Uint8Array]
    const leaves = [
      ...kv.map(([k, v]) => kvLeaf(k, v)),
      [treeKey('f:docs'), leafHash(treeKey('f:docs'), fileValueHash({ kind: 'dir' }))],
      [treeKey('f:docs/x.txt'), leafHash(treeKey('f:docs/x.txt'), fileValueHash({ kind: 'file', data: enc.encode('hello') }))],
    ] as [Uint8Array, Uint8Array][]
    const expected = await buildTree(leaves.reverse())
    const handle = await openStore({ ...location, migrations: 'replica' })
    try {
      const store = createHotStore(handle.db, { flushDelayMs: 0 })
      expect(await store.state('old')).toEqual({ lastAppliedSeq: 3n, stateRoot: expected.root })
      // Exactly the compact rows remain, and the format is recorded.
      const rows = await handle.db.select().from(smtNodes)
      expect(new Map(rows.map((r) => [toHex(r.node), toHex(r.hash)]))).toEqual(new Map([...expected.nodes.values()].map((n) => [toHex(n.id), toHex(n.hash)])))
      expect((await handle.db.select().from(functionState))[0]?.treeFormat).toBe(2)
      const [key, leaf] = kvLeaf('b', '22')
      expect(verifyProof(expected.root, key, leaf, await store.proveKey('old', 'b'))).toBe(true)
      // It keeps working as a compact tree.
      const root4 = await store.commit(
        'old',
        {
          seq: 4n,
          codeHash: '0x01',
          inputHash: new Uint8Array(32),
          status: 0,
          output: new Uint8Array(0),
          fuelUsed: 0n,
          stateRootBefore: expected.root,
        },
        { kv: [['e', enc.encode('5')]], files: [] },
      )
      expect(root4).toEqual((await buildTree([...leaves, kvLeaf('e', '5')])).root)
      await store.close()
      // Once: a later load trusts the stored root (a row slipped in behind the tree's back shows it).
      await handle.db.insert(kvEntries).values({ functionId: 'old', key: enc.encode('sneaked'), value: enc.encode('in') })
      expect((await createHotStore(handle.db).state('old')).stateRoot).toEqual(root4)
    } finally {
      await handle.close()
    }
  })
}
