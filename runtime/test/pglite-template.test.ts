// A fresh PGlite data folder starts as a copy of this user's initdb template (store/pglite-template.ts)
// instead of running initdb: the copy must be a fresh database like one initdb made (same catalog,
// no table of ours, migrations apply), the template must hold nothing but initdb's result, four
// processes opening fresh folders at once must all open with one template built, and a damaged
// template must be rebuilt rather than copied.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { expect, test } from 'vitest'
import { pgliteTemplate, seedFromTemplate } from '../src/store/pglite-template.ts'

const runtimeRoot = new URL('..', import.meta.url).pathname
const temp = (prefix: string) => mkdtemp(join(tmpdir(), `nexus-pglite-template-${prefix}-`))

/** What tells one fresh cluster from another: databases, catalog size, encoding, tables outside the catalog. */
async function describeCluster(pg: PGlite) {
  const one = async (sql: string) => (await pg.query<Record<string, unknown>>(sql)).rows
  return {
    databases: await one('select datname, encoding, datcollate from pg_database order by datname'),
    classes: await one('select count(*)::int as n from pg_class'),
    userTables: await one("select schemaname, tablename from pg_tables where schemaname not in ('pg_catalog', 'information_schema')"),
    encoding: await one('show server_encoding'),
  }
}

test('a folder seeded from the template opens as the fresh database initdb makes: same catalog, no tables, writable', { timeout: 120_000 }, async () => {
  const cacheDir = await temp('cache')
  const seeded = join(await temp('data'), 'db')
  await mkdir(seeded)
  expect(await seedFromTemplate(seeded, { cacheDir })).toBe(true)
  expect(existsSync(join(seeded, 'PG_VERSION'))).toBe(true)

  const fromTemplate = new PGlite(seeded)
  const fromInitdb = new PGlite(join(await temp('initdb'), 'db'))
  try {
    const a = await describeCluster(fromTemplate)
    expect(a.userTables).toEqual([])
    expect(a).toEqual(await describeCluster(fromInitdb))
    // Writable like any fresh database; the write stays in this folder, not in the template.
    await fromTemplate.exec('create table t (x int); insert into t values (1)')
    expect((await fromTemplate.query('select x from t')).rows).toEqual([{ x: 1 }])
  } finally {
    await fromTemplate.close()
    await fromInitdb.close()
  }
  const again = join(await temp('again'), 'db')
  await mkdir(again)
  expect(await seedFromTemplate(again, { cacheDir })).toBe(true)
  const second = new PGlite(again)
  try {
    expect((await describeCluster(second)).userTables).toEqual([])
  } finally {
    await second.close()
  }
})

test('four processes opening fresh data folders at once: all open and migrate, one template is built, nothing left behind', { timeout: 300_000 }, async () => {
  const cache = await temp('shared-cache')
  const root = await temp('four')
  const script = `import { openStore } from './src/store/database.ts'
    const store = await openStore({ dataDir: process.argv[1], migrations: 'replica' })
    await store.close()
    console.log('opened')`
  const results = await Promise.all(
    [1, 2, 3, 4].map(
      (i) =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, join(root, `replica-${i}`, 'db')], {
            cwd: runtimeRoot,
            env: { ...process.env, NEXUS_CACHE_DIR: cache },
            stdio: ['ignore', 'pipe', 'inherit'],
          })
          let out = ''
          child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
          child.once('exit', (code) => resolve({ code, out }))
        }),
    ),
  )
  for (const r of results) expect(r).toEqual({ code: 0, out: 'opened\n' })
  const entries = await readdir(join(cache, 'pglite'))
  expect(entries).toHaveLength(1)
  expect(entries[0]).toMatch(/^initdb-\d+\.\d+\.\d+.*-f\d+$/)
  for (let i = 1; i <= 4; i++) expect(existsSync(join(root, `replica-${i}`, 'db', 'PG_VERSION'))).toBe(true)
  // The template holds initdb's result only: no migration ran in it.
  const copy = join(await temp('inspect'), 'db')
  await mkdir(copy)
  expect(await seedFromTemplate(copy, { cacheDir: join(cache, 'pglite') })).toBe(true)
  const pg = new PGlite(copy)
  try {
    expect((await describeCluster(pg)).userTables).toEqual([])
  } finally {
    await pg.close()
  }
})

test('a damaged template is rebuilt before anything is copied from it; a half-seeded folder is seeded again', { timeout: 120_000 }, async () => {
  const cacheDir = await temp('damaged')
  const template = await pgliteTemplate(cacheDir)
  const control = join(template, 'global', 'pg_control')
  const good = await readFile(control)
  await writeFile(control, good.subarray(0, 100))

  // A folder a crash left half-seeded (files, no PG_VERSION) is what seeding starts from.
  const dir = join(await temp('data'), 'db')
  await mkdir(join(dir, 'global'), { recursive: true })
  await writeFile(join(dir, 'global', 'pg_control'), 'torn')
  expect(await seedFromTemplate(dir, { cacheDir })).toBe(true)
  expect((await readFile(control)).length).toBe(good.length)
  const pg = new PGlite(dir)
  try {
    expect((await describeCluster(pg)).userTables).toEqual([])
  } finally {
    await pg.close()
  }
})
