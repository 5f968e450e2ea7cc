// Costs of the event path that live in the store layer: bytea through PGlite's protocol (database.ts
// binds it in binary), JSON bound as UTF-8 bytes (jsonb-param.ts), and the versions cache (function-versions.ts,
// which must hold rows, not drizzle's re-running query builder). Both backends where available.
import { afterAll, describe, expect, test } from 'vitest'
import { randomBytes } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import { openStore, type Store } from '../src/store/database.ts'
import { createVersionStore } from '../src/store/function-versions.ts'
import { jsonbParam } from '../src/store/jsonb-param.ts'
import { artifacts, functionVersions } from '../src/store/schema.ts'

const backends: { name: string; open: () => Promise<Store> }[] = [{ name: 'pglite', open: () => openStore({ migrations: 'replica' }) }]
const schema = `codecs_${process.pid}_${Date.now().toString(36)}`
if (process.env.DATABASE_URL)
  backends.push({ name: 'postgres', open: () => openStore({ migrations: 'replica', databaseUrl: process.env.DATABASE_URL, schema }) })

afterAll(async () => {
  if (!process.env.DATABASE_URL) return
  const { default: postgres } = await import('postgres')
  const admin = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  await admin.end()
})

describe.each(backends)('store on $name', ({ open }) => {
  test('bytea round-trips byte for byte (empty, small, a component-sized 1.6 MB), through drizzle and raw SQL', async () => {
    const store = await open()
    try {
      const values = [new Uint8Array(0), new Uint8Array([0, 255, 16, 1]), new Uint8Array(randomBytes(1_600_000))]
      for (const [i, component] of values.entries()) {
        await store.db.insert(artifacts).values({ codeHash: `0x${i}`, manifest: { i }, component })
        const [row] = await store.db
          .select()
          .from(artifacts)
          .where(eq(artifacts.codeHash, `0x${i}`))
        expect(row!.component).toBeInstanceOf(Uint8Array)
        expect(Buffer.compare(Buffer.from(row!.component), Buffer.from(component))).toBe(0)
      }
      const raw = (await store.db.execute(
        sql`SELECT ${Buffer.from([1, 2, 0xab])}::bytea AS b, length(component) AS n FROM artifacts WHERE code_hash = '0x2'`,
      )) as unknown as { rows: { b: Uint8Array; n: number }[] } | { b: Uint8Array; n: number }[]
      const first = Array.isArray(raw) ? raw[0]! : raw.rows[0]!
      expect([...first.b]).toEqual([1, 2, 0xab])
      expect(Number(first.n)).toBe(1_600_000)
    } finally {
      await store.close()
    }
  })

  test('jsonbParam carries any JSON value, non-ASCII text included, and refuses what jsonb refuses', async () => {
    const store = await open()
    try {
      const value = { text: 'naïve 日本 😀 "quoted" \\ back\nline', n: -1.5e300, list: [null, true, { nested: [] }], big: '123456789012345678901234567890' }
      const raw = (await store.db.execute(sql`SELECT ${jsonbParam(value)} AS j, ${jsonbParam([1, 'two'])} ->> 1 AS second`)) as unknown as
        | { rows: { j: unknown; second: string }[] }
        | { j: unknown; second: string }[]
      const first = Array.isArray(raw) ? raw[0]! : raw.rows[0]!
      expect(first.j).toEqual(value)
      expect(first.second).toBe('two')
      // A lone surrogate is not UTF-8 once encoded (Buffer writes U+FFFD), and jsonb refuses a NUL escape.
      await expect(store.db.execute(sql`SELECT ${jsonbParam({ bad: '\u0000' })} AS j`)).rejects.toThrow()
    } finally {
      await store.close()
    }
  })

  test('function versions are read once per function, then from memory until they change', async () => {
    const store = await open()
    try {
      const versions = createVersionStore(store.db)
      await versions.save('f', [{ fromSeq: 1n, codeHash: '0xaa' }])
      expect(await versions.activeAt('f', 5n)).toBe('0xaa')
      // Behind the cache's back: a cached list does not see it (a query per call would).
      await store.db.delete(functionVersions).where(eq(functionVersions.functionId, 'f'))
      expect(await versions.activeAt('f', 5n)).toBe('0xaa')
      expect(await versions.list('f')).toEqual([{ fromSeq: 1n, codeHash: '0xaa' }])
      // A save through the store replaces the cached list.
      await versions.save('f', [{ fromSeq: 3n, codeHash: '0xbb' }])
      expect(await versions.activeAt('f', 2n)).toBeUndefined()
      expect(await versions.activeAt('f', 3n)).toBe('0xbb')
    } finally {
      await store.close()
    }
  })
})
