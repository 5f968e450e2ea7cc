// The replica conformance suite, run once per storage backend (see replica.test.ts).
import { expect, test } from 'vitest'
import { keccak256, toHex, type Hex } from 'viem'
import { combineShares, merkleRoot } from '@nexus/protocol/attest'
import { SeqGapError, verifyStateProof, stateProofFromHex, treeKey, leafHash, kvValueHash, type Replica, type ExecutedResult } from '../src/index.ts'
import { mixedFixture } from './fixtures/build-fixture.ts'
import { mixedWorkload } from './fixtures/workload.ts'
import type { Backend } from '@nexus/testkit/backends'
import { replicaSuite } from './fixtures/replica-suite.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

export function defineReplicaSuite(makeBackend: () => Promise<Backend>) {
  const suite = replicaSuite(makeBackend)
  const { keys, open, request, replica } = suite

  async function deployFixture(r: Replica): Promise<Hex> {
    return (await r.deploy(await mixedFixture())).codeHash
  }

  const summary = (r: ExecutedResult) => ({ fields: r.fields, digest: r.digest, output: toHex(r.output) })

  test('three replicas with separate stores agree byte for byte on 200 mixed invocations; one restarts mid-way', async () => {
    const ops = mixedWorkload(200)
    const [r1, r2] = [await replica(1), await replica(2)]
    let r3 = await replica(3)
    const codeHash = await deployFixture(r1)
    await deployFixture(r2)
    await deployFixture(r3)
    const results: ExecutedResult[][] = [[], [], []]
    for (let i = 0; i < ops.length; i++) {
      const req = request(codeHash, i + 1, ops[i]!)
      results[0]!.push(await r1.execute(req))
      results[1]!.push(await r2.execute(req))
      if (i === 99) {
        // Crash-restart: reopen replica 3 on the same store; it resumes from its last applied seq.
        await r3.close()
        open.splice(open.indexOf(r3), 1)
        r3 = await replica(3)
        expect((await r3.state('mixed')).lastAppliedSeq).toBe(BigInt(i))
      }
      results[2]!.push(await r3.execute(req))
    }
    expect(results[1]!.map(summary)).toEqual(results[0]!.map(summary))
    expect(results[2]!.map(summary)).toEqual(results[0]!.map(summary))
    const statuses = new Set(results[0]!.map((r) => r.fields.status))
    expect([...statuses].sort()).toEqual([0, 1, 2, 3])
    const roots = await Promise.all([r1, r2, r3].map((r) => r.state('mixed')))
    expect(roots[1]).toEqual(roots[0])
    expect(roots[2]).toEqual(roots[0])
    expect(roots[0]!.stateRoot).not.toBe(toHex(new Uint8Array(32)))
    // Shares from different replicas combine into one group signature over the same digest.
    const last = results.map((r) => r.at(-1)!)
    const combined = combineShares(last[0]!.digest, [last[0]!.share!, last[2]!.share!], keys.network)
    expect(combined.signers).toEqual([1, 3])
  }, 300_000) // 600 executions and three compiles: ≈ 40 s on an idle 2-core machine, ≈ 120 s at load 17

  test('an instance restored from the pristine snapshot behaves exactly like a fresh one', async () => {
    const ops = mixedWorkload(60, 99)
    const reused = await replica(4)
    const fresh = await replica(5, { freshInstances: true })
    const codeHash = await deployFixture(reused)
    await deployFixture(fresh)
    for (let i = 0; i < ops.length; i++) {
      const req = request(codeHash, i + 1, ops[i]!)
      expect(summary(await fresh.execute(req))).toEqual(summary(await reused.execute(req)))
    }
  })

  test('seq order is enforced, re-sent seqs are answered from the record, failed invocations write nothing', async () => {
    const r = await replica(6)
    const codeHash = await deployFixture(r)
    const first = await r.execute(request(codeHash, 1, { op: 'incr', key: 'k', n: 5 }))
    await expect(r.execute(request(codeHash, 3, { op: 'incr', key: 'k' }))).rejects.toThrow(SeqGapError)
    expect(summary(await r.execute(request(codeHash, 1, { op: 'incr', key: 'k', n: 5 })))).toEqual(summary(first))
    const before = await r.state('mixed')
    const failed = await r.execute(request(codeHash, 2, { op: 'set-then-throw', key: 'k' }))
    expect(failed.fields.status).toBe(1)
    expect(dec.decode(failed.output)).toContain('failed after writing')
    expect(failed.fields.stateRootAfter).toBe(before.stateRoot)
    const read = await r.execute(request(codeHash, 3, { op: 'incr', key: 'k', n: 0 }))
    expect(JSON.parse(dec.decode(read.output))).toEqual({ key: 'k', n: 5 })
  })

  test('functions are isolated and paths cannot escape the function root', async () => {
    const r = await replica(7)
    const codeHash = await deployFixture(r)
    await r.execute(request(codeHash, 1, { op: 'incr', key: 'shared', n: 41 }, 'fn-a'))
    const b = await r.execute(request(codeHash, 1, { op: 'incr', key: 'shared', n: 1 }, 'fn-b'))
    expect(JSON.parse(dec.decode(b.output))).toEqual({ key: 'shared', n: 1 })
    let seq = 2
    for (const path of ['../secret', '/etc/passwd', 'a/../../b', '..', 'x\\..\\y']) {
      const res = await r.execute(request(codeHash, seq++, { op: 'fs-error', path }, 'fn-b'))
      expect(JSON.parse(dec.decode(res.output)), path).toEqual({ error: 'invalid-path' })
    }
    const missing = await r.execute(request(codeHash, seq++, { op: 'fs-error', path: 'nope.txt' }, 'fn-b'))
    expect(JSON.parse(dec.decode(missing.output))).toEqual({ error: 'not-found' })
  })

  test('one key is provable against the state root', async () => {
    const r = await replica(8)
    const codeHash = await deployFixture(r)
    for (let i = 1; i <= 5; i++) await r.execute(request(codeHash, i, { op: 'incr', key: `p${i}`, n: i }))
    const { stateRoot } = await r.state('mixed')
    const proof = stateProofFromHex(await r.proveKey('mixed', 'p3'))
    const key = treeKey('k:p3')
    const root = Buffer.from(stateRoot.slice(2), 'hex')
    expect(verifyStateProof(root, key, leafHash(key, kvValueHash(enc.encode('3'))), proof)).toBe(true)
    expect(verifyStateProof(root, key, leafHash(key, kvValueHash(enc.encode('4'))), proof)).toBe(false)
    expect(verifyStateProof(root, key, new Uint8Array(32), proof)).toBe(false)
    // A compact tree of five keys: a path of a few levels, not 256.
    expect(proof.siblings.length).toBeLessThan(16)
    expect(verifyStateProof(root, key, leafHash(key, kvValueHash(enc.encode('3'))), { siblings: proof.siblings.slice(1) })).toBe(false)
    expect(verifyStateProof(root, key, leafHash(key, kvValueHash(enc.encode('3'))), { siblings: [...proof.siblings, new Uint8Array(32)] })).toBe(false)
    // Absence proof for a key never written.
    const absent = treeKey('k:never')
    const absentProof = stateProofFromHex(await r.proveKey('mixed', 'never'))
    expect(verifyStateProof(root, absent, new Uint8Array(32), absentProof)).toBe(true)
    expect(verifyStateProof(root, absent, leafHash(absent, kvValueHash(enc.encode('1'))), absentProof)).toBe(false)
    expect(keccak256(enc.encode('x'))).toMatch(/^0x/)
  })

  test('a batch applies consecutive seqs: same results as one by one, one share over the Merkle root', async () => {
    const ops = mixedWorkload(60)
    const single = await replica(9)
    const [b1, b2] = [await replica(10, { shareKey: keys.shares[0] }), await replica(11, { shareKey: keys.shares[1] })]
    const codeHash = await deployFixture(single)
    await deployFixture(b1)
    await deployFixture(b2)
    const expected: ReturnType<typeof summary>[] = []
    for (let i = 0; i < ops.length; i++) expected.push(summary(await single.execute(request(codeHash, i + 1, ops[i]!))))
    const range = (from: number, to: number) => ops.slice(from - 1, to).map((op, k) => request(codeHash, from + k, op))
    // Ranges of different sizes; 20..40 overlaps what was applied (answered from the record).
    for (const [from, to] of [
      [1, 1],
      [2, 8],
      [9, 27],
      [20, 40],
      [41, 60],
    ] as const) {
      const [x, y] = [await b1.executeBatch(range(from, to)), await b2.executeBatch(range(from, to))]
      expect(x.results.map(summary)).toEqual(expected.slice(from - 1, to))
      expect(y.results.map(summary)).toEqual(expected.slice(from - 1, to))
      expect(x.root).toBe(merkleRoot(x.results.map((r) => r.digest)))
      expect(x.root).toBe(y.root)
      // t = 2 shares over the root combine into a group signature (combineShares verifies it).
      expect(combineShares(x.root, [x.share!, y.share!], keys.network).signers).toEqual([1, 2])
    }
    expect(await b1.state('mixed')).toEqual(await single.state('mixed'))
    await expect(b1.executeBatch([request(codeHash, 62, ops[0]!), request(codeHash, 63, ops[1]!)])).rejects.toThrow(SeqGapError)
    expect((await b1.state('mixed')).lastAppliedSeq).toBe(60n)
  })
}
