// Two costs of the replica's event path that live in the store layer: bytea through PGlite's
// text protocol (database.ts sets Buffer's hex codec) and the versions cache (function-versions.ts,
// which must hold rows, not drizzle's re-running query builder). Both backends where available.
import { afterAll, describe, expect, test } from 'vitest'
import { randomBytes } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import { openStore, type Store } from '../src/store/database.ts'
import { createVersionStore } from '../src/store/function-versions.ts'
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
