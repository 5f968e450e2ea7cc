// One conformance suite for the ordered log, run against every backend (PGlite, Postgres, JetStream):
// each case opens a fresh, empty log through the backend's factory.
import { describe, expect, test } from 'vitest'
import type { AttestedResult } from '@nexus/protocol/attest'
import { ArtifactConflictError, ForbiddenError, IdempotencyConflictError, UnknownFunctionError } from '../errors.ts'
import type { Log } from './index.ts'

const H1 = `0x${'a1'.repeat(32)}` as const
const H2 = `0x${'b2'.repeat(32)}` as const

/** An attested result of the shape the scheduler records (the log stores it as it is given). */
const attested = (changes: Partial<AttestedResult> & { functionId?: string } = {}): AttestedResult => {
  const { functionId = 'f', ...rest } = changes
  return {
    protocol: 'nexus.result.v2',
    kind: 'bls',
    fields: {
      chainId: '1',
      verifier: `0x${'00'.repeat(20)}`,
      codeHash: H1,
      seq: '1',
      inputHash: H1,
      status: 0,
      outputHash: H1,
      stateRootBefore: H1,
      stateRootAfter: H1,
      fuelUsed: '0',
      protocol: 'nexus.result.v2',
      functionId,
      functionIdHash: H1,
    },
    digest: H2,
    output: '0x',
    signature: '0x',
    signers: [1, 2, 3],
    groupPublicKey: '0x',
    ...rest,
  }
}

/** A fresh, empty log; `another` opens a second instance over the same store (another gateway). */
export type OpenedLog = { log: Log; close: () => Promise<void>; another: () => Promise<{ log: Log; close: () => Promise<void> }> }

export function logConformance(backend: string, open: () => Promise<OpenedLog>) {
  describe(`ordered log (${backend})`, () => {
    test('artifacts and deploys are idempotent by code hash; a new hash is a new version', async () => {
      const { log, close } = await open()
      try {
        expect(await log.putArtifact(H1, { name: 'f' }, 'AA==')).toBe(true)
        expect(await log.putArtifact(H1, { name: 'f' }, 'AA==')).toBe(false)
        expect((await log.deployFunction('f', H1)).created).toBe(true)
        expect((await log.deployFunction('f', H1)).created).toBe(false)
        await log.putArtifact(H2, { name: 'f' }, 'AQ==')
        await log.append({ functionId: 'f', input: '0x01', trigger: 'http', requestHash: 'x' })
        expect((await log.deployFunction('f', H2)).created).toBe(true)
        const versions = await log.listVersions('f')
        expect(versions.map((v) => [v.codeHash, v.fromSeq])).toEqual([
          [H1, 1n],
          [H2, 2n],
        ])
        const { invocation } = await log.append({ functionId: 'f', input: '0x02', trigger: 'http', requestHash: 'y' })
        expect(invocation.codeHash).toBe(H2)
        // Back to H1 (replicas bind code by seq from this list: it must say what ran every seq), then
        // to H2 and at once to H1 again before any invocation: the later deploy is what seq 3 runs.
        expect((await log.deployFunction('f', H1)).created).toBe(true)
        expect((await log.deployFunction('f', H2)).created).toBe(true)
        expect((await log.deployFunction('f', H1)).created).toBe(true)
        expect((await log.listVersions('f')).map((v) => [v.codeHash, v.fromSeq])).toEqual([
          [H1, 1n],
          [H2, 2n],
          [H1, 3n],
        ])
      } finally {
        await close()
      }
    })

    test('another manifest for stored code is a conflict; repointing needs the owner or an admin', async () => {
      const { log, close } = await open()
      try {
        const manifest = { name: 'f', limits: { fuel: 10 }, triggers: [] }
        expect(await log.putArtifact(H1, manifest, 'AA==')).toBe(true)
        // Same manifest under another name, keys in another order: the same artifact.
        expect(await log.putArtifact(H1, { triggers: [], limits: { fuel: 10 }, name: 'g' }, 'AA==')).toBe(false)
        await expect(log.putArtifact(H1, { ...manifest, limits: { fuel: 11 } }, 'AA==')).rejects.toThrow(ArtifactConflictError)
        expect((await log.getManifest(H1))?.limits).toEqual({ fuel: 10 })
        await log.putArtifact(H2, { name: 'f' }, 'AQ==')
        const owner = { fingerprint: 'owner-fp', admin: false }
        expect((await log.deployFunction('f', H1, owner)).function.owner).toBe('owner-fp')
        await expect(log.deployFunction('f', H2, { fingerprint: 'other-fp', admin: false })).rejects.toThrow(ForbiddenError)
        expect((await log.getFunction('f'))?.codeHash).toBe(H1)
        expect((await log.deployFunction('f', H1, { fingerprint: 'other-fp', admin: false })).created).toBe(false) // not a repoint
        expect((await log.deployFunction('f', H2, { fingerprint: 'admin-fp', admin: true })).function).toMatchObject({ codeHash: H2, owner: 'owner-fp' })
        expect((await log.deployFunction('f', H1, owner)).created).toBe(true)
      } finally {
        await close()
      }
    })

    test('append answers exactly the row it wrote, int8 fields beyond 2^53 included', async () => {
      const { log, close } = await open()
      try {
        await log.putArtifact(H1, { name: 'f' }, 'AA==')
        await log.deployFunction('f', H1)
        const big = 2n ** 62n + 1n
        const { invocation } = await log.append({
          functionId: 'f',
          input: '0xabcd',
          trigger: 'block',
          requestHash: 'r',
          idempotencyKey: 'key',
          timestampMs: big,
          chainId: big - 2n,
          blockNumber: big + 2n,
        })
        expect(invocation).toEqual(await log.getInvocation(invocation.id))
        const plain = (await log.append({ functionId: 'f', input: '0x', trigger: 'http', requestHash: 's' })).invocation
        expect(plain).toEqual(await log.getInvocation(plain.id))
        expect(plain.seq).toBe(2n)
      } finally {
        await close()
      }
    })

    test('concurrent appends get contiguous, unique seqs per function; functions are independent', async () => {
      const { log, close } = await open()
      try {
        await log.putArtifact(H1, { name: 'a' }, 'AA==')
        await log.deployFunction('a', H1)
        await log.deployFunction('b', H1)
        const appended = await Promise.all(
          Array.from({ length: 40 }, (_, k) => log.append({ functionId: k % 2 ? 'a' : 'b', input: '0x', trigger: 'http', requestHash: String(k) })),
        )
        for (const fn of ['a', 'b']) {
          const seqs = appended
            .filter((x) => x.invocation.functionId === fn)
            .map((x) => x.invocation.seq)
            .sort((x, y) => (x < y ? -1 : 1))
          expect(seqs).toEqual(Array.from({ length: 20 }, (_, k) => BigInt(k + 1)))
          expect((await log.getFunction(fn))!.lastSeq).toBe(20n)
        }
        const rows = await log.range('a', 0n, 100)
        expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, k) => BigInt(k + 1)))
      } finally {
        await close()
      }
    })

    test('idempotency keys: same body returns the same invocation, another body conflicts, nothing written', async () => {
      const { log, close } = await open()
      try {
        await log.putArtifact(H1, { name: 'f' }, 'AA==')
        await log.deployFunction('f', H1)
        const first = await log.append({ functionId: 'f', input: '0x01', trigger: 'http', requestHash: 'h1', idempotencyKey: 'k' })
        const racing = await Promise.all(
          [1, 2, 3].map(() => log.append({ functionId: 'f', input: '0x01', trigger: 'http', requestHash: 'h1', idempotencyKey: 'k' })),
        )
        for (const r of racing) expect(r).toMatchObject({ created: false, invocation: { id: first.invocation.id } })
        await expect(log.append({ functionId: 'f', input: '0x02', trigger: 'http', requestHash: 'h2', idempotencyKey: 'k' })).rejects.toBeInstanceOf(
          IdempotencyConflictError,
        )
        await expect(log.append({ functionId: 'nope', input: '0x', trigger: 'http', requestHash: 'h' })).rejects.toBeInstanceOf(UnknownFunctionError)
        expect((await log.getFunction('f'))!.lastSeq).toBe(1n)
        // A chain trigger's key names it: re-delivered with other bytes (a gateway upgraded between
        // append and cursor write), it is the invocation already there, singly or in a run.
        const chain = { functionId: 'f', trigger: 'event', idempotencyKey: 'event:1:0xab:0', keyNamesRequest: true } as const
        const kept = await log.append({ ...chain, input: '0x0a', requestHash: 'old' })
        expect(await log.append({ ...chain, input: '0x0b', requestHash: 'new' })).toMatchObject({
          created: false,
          invocation: { id: kept.invocation.id, input: '0x0a' },
        })
        const [again] = await log.appendMany([{ ...chain, input: '0x0b', requestHash: 'new' }])
        expect(again).toMatchObject({ created: false, invocation: { id: kept.invocation.id } })
        expect((await log.getFunction('f'))!.lastSeq).toBe(2n)
      } finally {
        await close()
      }
    })

    test('appendMany: one transaction, contiguous seqs in list order, idempotent per key like append', async () => {
      const { log, close } = await open()
      try {
        await log.putArtifact(H1, { name: 'f' }, 'AA==')
        await log.deployFunction('f', H1)
        const item = (key: string | undefined, body = key ?? 'none') => ({
          functionId: 'f',
          input: `0x${Buffer.from(body).toString('hex')}` as const,
          trigger: 'event',
          requestHash: body,
          idempotencyKey: key,
          timestampMs: 2n ** 62n + 7n,
          chainId: 31337n,
          blockNumber: 2n ** 60n,
        })
        const single = await log.append(item('k2'))
        // k2 is in the log already, k4 repeats within the list, one item has no key.
        const answered = await log.appendMany([item('k1'), item('k2'), item('k3'), item(undefined), item('k4'), item('k4'), item('k5')])
        expect(answered.map((a) => a.created)).toEqual([true, false, true, true, true, false, true])
        expect(answered.map((a) => a.invocation.seq)).toEqual([2n, 1n, 3n, 4n, 5n, 5n, 6n])
        expect(answered[1]!.invocation.id).toBe(single.invocation.id)
        expect(answered[5]!.invocation.id).toBe(answered[4]!.invocation.id)
        // What appendMany answers is exactly what the log holds.
        const rows = await log.range('f', 0n, 100)
        expect(rows.map((r) => r.seq)).toEqual([1n, 2n, 3n, 4n, 5n, 6n])
        for (const a of answered) expect(a.invocation).toEqual(rows.find((r) => r.id === a.invocation.id))
        expect((await log.getFunction('f'))!.lastSeq).toBe(6n)
        // Re-delivering the whole range writes nothing and answers the same invocations.
        const again = await log.appendMany([item('k1'), item('k2'), item('k3'), item('k4'), item('k5')])
        expect(again.every((a) => !a.created)).toBe(true)
        expect(again.map((a) => a.invocation.seq)).toEqual([2n, 1n, 3n, 5n, 6n])
        expect(await log.appendMany([])).toEqual([])
      } finally {
        await close()
      }
    })

    test('appendMany: keys with quotes, commas, braces, backslashes and non-ASCII are found again', async () => {
      const { log, close } = await open()
      try {
        await log.putArtifact(H1, { name: 'f' }, 'AA==')
        await log.deployFunction('f', H1)
        const keys = ['a"b', 'c,d', '{e}', 'f\\g', "h'i", 'naïve 😀', 'NULL', '', ' lead and trail ']
        const item = (key: string) => ({ functionId: 'f', input: '0x' as const, trigger: 'event', requestHash: key, idempotencyKey: key })
        const first = await log.appendMany(keys.map(item))
        expect(first.every((a) => a.created)).toBe(true)
        const again = await log.appendMany([...keys].reverse().map(item))
        expect(again.every((a) => !a.created)).toBe(true)
        expect(again.map((a) => a.invocation.id)).toEqual([...first].reverse().map((a) => a.invocation.id))
        expect((await log.getFunction('f'))!.lastSeq).toBe(BigInt(keys.length))
      } finally {
        await close()
      }
    })

    test('appendMany: a conflicting key or an unknown function writes nothing of the range', async () => {
      const { log, close } = await open()
      try {
        await log.putArtifact(H1, { name: 'f' }, 'AA==')
        await log.deployFunction('f', H1)
        const item = (key: string, requestHash = key) => ({ functionId: 'f', input: '0x' as const, trigger: 'event', requestHash, idempotencyKey: key })
        await log.appendMany([item('a')])
        await expect(log.appendMany([item('b'), item('a', 'another body'), item('c')])).rejects.toBeInstanceOf(IdempotencyConflictError)
        await expect(log.appendMany([item('b'), item('b', 'another body')])).rejects.toBeInstanceOf(IdempotencyConflictError)
        await expect(log.appendMany([{ ...item('z'), functionId: 'nope' }])).rejects.toBeInstanceOf(UnknownFunctionError)
        expect((await log.range('f', 0n, 10)).map((r) => r.idempotencyKey)).toEqual(['a'])
        expect((await log.getFunction('f'))!.lastSeq).toBe(1n)
        // Racing appenders of overlapping ranges (and single appends) still write each key once, seqs without gaps.
        const keys = Array.from({ length: 30 }, (_, k) => `r${k}`)
        await Promise.all([
          log.appendMany(keys.slice(0, 20).map((k) => item(k))),
          log.appendMany(keys.slice(10).map((k) => item(k))),
          ...keys.slice(5, 15).map((k) => log.append(item(k))),
        ])
        const rows = await log.range('f', 0n, 100)
        expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 31 }, (_, k) => BigInt(k + 1)))
        expect(new Set(rows.map((r) => r.idempotencyKey)).size).toBe(31)
      } finally {
        await close()
      }
    })

    test('results: recorded once attested; first pending seq moves forward', async () => {
      const { log, close } = await open()
      try {
        await log.putArtifact(H1, { name: 'f' }, 'AA==')
        await log.deployFunction('f', H1)
        const a = await log.append({ functionId: 'f', input: '0x', trigger: 'http', requestHash: '1' })
        await log.append({ functionId: 'f', input: '0x', trigger: 'http', requestHash: '2' })
        expect(await log.firstPendingSeq('f')).toBe(1n)
        await log.recordResult(a.invocation.id, attested(), [{ replica: 4, reason: 'x' }])
        expect(await log.firstPendingSeq('f')).toBe(2n)
        const got = await log.getInvocation(a.invocation.id)
        expect(got).toMatchObject({ state: 'attested', result: { digest: H2 }, disagreements: [{ replica: 4, reason: 'x' }] })
        expect(got!.result).toEqual(attested()) // the attested result comes back whole, as it was recorded
        expect(await log.getInvocation('not-a-uuid')).toBeUndefined()
      } finally {
        await close()
      }
    })

    test('a batch of results is recorded in one statement, each with its own result and disagreements', async () => {
      const { log, close } = await open()
      try {
        await log.putArtifact(H1, { name: 'f' }, 'AA==')
        await log.deployFunction('f', H1)
        const ids: string[] = []
        for (let k = 0; k < 4; k++) ids.push((await log.append({ functionId: 'f', input: '0x', trigger: 'http', requestHash: String(k) })).invocation.id)
        await log.recordResults(
          ids.slice(0, 3).map((id, k) => ({
            id,
            result: attested({ functionId: 'quote " and \\ backslash', batch: { root: H1, index: k, size: 3, proof: [] } }),
            disagreements: k === 1 ? [{ replica: 2, reason: 'x' }] : [],
            // Handler log lines (0006_invocation_logs.sql) travel in the same statement; none is an empty list.
            logs: k === 2 ? [] : [{ level: 'info', message: `line "${k}" \\ ✓` }],
          })),
        )
        const rows = await log.range('f', 0n, 10)
        expect(rows.map((r) => r.logs)).toEqual([[{ level: 'info', message: 'line "0" \\ ✓' }], [{ level: 'info', message: 'line "1" \\ ✓' }], [], []])
        expect(rows.map((r) => r.state)).toEqual(['attested', 'attested', 'attested', 'pending'])
        expect(rows[1]).toMatchObject({
          result: { digest: H2, fields: { functionId: 'quote " and \\ backslash' }, batch: { index: 1 } },
          disagreements: [{ replica: 2, reason: 'x' }],
        })
        expect(rows[0]!.attestedAt).toBeInstanceOf(Date)
        expect(rows[3]!.result).toBeNull()
        expect(await log.firstPendingSeq('f')).toBe(4n)
      } finally {
        await close()
      }
    })
  })
}
