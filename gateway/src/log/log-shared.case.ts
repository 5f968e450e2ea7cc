// Conformance cases the `Log` interface does not spell out but scale-out needs (issue 19): several
// gateways, each with its own instance (and connection) over one store, and idempotency that
// outlives any transport-level dedupe window. Run against every backend with log.case.ts.
import { describe, expect, test } from 'vitest'
import type { OpenedLog } from './log.case.ts'

const H1 = `0x${'a1'.repeat(32)}` as const
const H2 = `0x${'b2'.repeat(32)}` as const

export function sharedLogConformance(backend: string, open: () => Promise<OpenedLog>, options: { dedupeWindowMs: number }) {
  describe(`ordered log shared by two gateways (${backend})`, () => {
    test('two instances appending to one function at once get unique, gap-free seqs; a racing deploy stays in order', async () => {
      const a = await open()
      const b = await a.another()
      try {
        await a.log.putArtifact(H1, { name: 'f' }, 'AA==')
        await b.log.putArtifact(H2, { name: 'f' }, 'AQ==')
        await a.log.deployFunction('f', H1)
        const call = (log: typeof a.log, k: number, key?: string) =>
          log.append({ functionId: 'f', input: '0x', trigger: 'http', requestHash: key ?? `r${k}`, idempotencyKey: key })
        const before = await call(a.log, -1) // seq 1 runs H1 whenever the racing deploy lands
        const appended = await Promise.all([
          ...Array.from({ length: 30 }, (_, k) => call(k % 2 ? a.log : b.log, k)),
          // The same ten keys sent to both gateways at once: each is written once.
          ...Array.from({ length: 20 }, (_, k) => call(k % 2 ? a.log : b.log, k, `key-${k >> 1}`)),
          b.log.deployFunction('f', H2).then(() => undefined),
        ])
        const answers = [before, ...appended.filter((x) => x !== undefined)]
        const created = answers.filter((x) => x.created).map((x) => x.invocation.seq)
        expect(created.sort((x, y) => (x < y ? -1 : 1))).toEqual(Array.from({ length: 41 }, (_, k) => BigInt(k + 1)))
        for (let k = 0; k < 10; k++) {
          const ids = new Set(answers.filter((x) => x.invocation.idempotencyKey === `key-${k}`).map((x) => x.invocation.id))
          expect(ids.size).toBe(1)
        }
        // Both gateways read the same history, and each invocation's code is the version its seq runs.
        const [rowsA, rowsB, versions] = await Promise.all([a.log.range('f', 0n, 100), b.log.range('f', 0n, 100), a.log.listVersions('f')])
        expect(rowsA).toEqual(rowsB)
        expect(rowsA.map((r) => r.seq)).toEqual(Array.from({ length: 41 }, (_, k) => BigInt(k + 1)))
        expect(versions.map((v) => v.codeHash)).toEqual([H1, H2])
        const switchAt = versions[1]!.fromSeq
        for (const row of rowsA) expect(row.codeHash).toBe(row.seq < switchAt ? H1 : H2)
        expect((await b.log.getFunction('f'))!.lastSeq).toBe(41n)
        for (const x of answers) expect(await b.log.getInvocation(x.invocation.id)).toEqual(x.invocation)
      } finally {
        await b.close()
        await a.close()
      }
    })

    test('any string is a function id or a key: dots, wildcards, spaces, non-ASCII, long', async () => {
      const { log, close } = await open()
      try {
        await log.putArtifact(H1, { name: 'f' }, 'AA==')
        const ids = ['a.b', 'a.*', 'a.>', 'with space', 'ünï 😀', 'x'.repeat(300), 'a']
        for (const id of ids) await log.deployFunction(id, H1)
        const keys = ['k.1', '*', '>', ' ', 'y'.repeat(500), `${'y'.repeat(499)}z`]
        for (const id of ids) {
          for (const key of keys) await log.append({ functionId: id, input: '0x', trigger: 'http', requestHash: key, idempotencyKey: key })
          for (const key of keys)
            expect(await log.append({ functionId: id, input: '0x', trigger: 'http', requestHash: key, idempotencyKey: key })).toMatchObject({ created: false })
        }
        expect((await log.listFunctions()).map((f) => f.id).sort()).toEqual([...ids].sort())
        for (const id of ids) {
          expect((await log.getFunction(id))!.lastSeq).toBe(BigInt(keys.length))
          expect((await log.range(id, 0n, 100)).map((r) => r.idempotencyKey)).toEqual(keys)
        }
        expect(await log.getFunction('a.c')).toBeUndefined()
      } finally {
        await close()
      }
    })

    test('an idempotency key is still deduplicated after the dedupe window, from another instance too', async () => {
      const a = await open()
      const b = await a.another()
      try {
        await a.log.putArtifact(H1, { name: 'f' }, 'AA==')
        await a.log.deployFunction('f', H1)
        const item = { functionId: 'f', input: '0x01', trigger: 'http', requestHash: 'h', idempotencyKey: 'once' } as const
        const first = await a.log.append(item)
        await new Promise((r) => setTimeout(r, options.dedupeWindowMs + 500))
        expect(await b.log.append(item)).toMatchObject({ created: false, invocation: { id: first.invocation.id } })
        expect(await a.log.append(item)).toMatchObject({ created: false, invocation: { id: first.invocation.id } })
        const [again] = await b.log.appendMany([item])
        expect(again).toMatchObject({ created: false, invocation: { id: first.invocation.id } })
        expect((await b.log.getFunction('f'))!.lastSeq).toBe(1n)
      } finally {
        await b.close()
        await a.close()
      }
    })
  })
}
