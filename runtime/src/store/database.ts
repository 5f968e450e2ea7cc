// One drizzle database per replica: PGlite in a data directory by default, PostgreSQL (one
// schema per replica) when a URL is given. Both speak the same SQL, so the code above is shared.
// Either way the store is this process's alone while open: the directory is locked
// (dir-lock.ts) and made private (private-dir.ts), the schema advisory-locked (schema-lock.ts).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite, types } from '@electric-sql/pglite'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import { migrate, type MigrationSet } from './migrate.ts'
import { lockDirectory } from './dir-lock.ts'
import { lockSchema } from './schema-lock.ts'
import { makePrivate } from './private-dir.ts'
import { PG_VERSION, seedFromTemplate } from './pglite-template.ts'
import { closeAndCollect } from './collect-garbage.ts'
import type { StoreLockLostError } from './lock-errors.ts'

export type Database = ReturnType<typeof drizzlePglite> | ReturnType<typeof drizzlePostgres>
export type Store<db = Database> = { db: db; kind: 'pglite' | 'postgres'; close(): Promise<void> }

export type OpenStoreOptions = {
  /** PGlite data directory; omitted = in memory. Ignored when `databaseUrl` is set. */
  dataDir?: string
  /** PostgreSQL URL. Default: none (embedded PGlite). */
  databaseUrl?: string
  /** PostgreSQL schema holding this store's tables. Default: 'public'. */
  schema?: string
  /** Which migrations to apply: a set of this package (`migrations/<name>`) or another package's folder. */
  migrations: MigrationSet
  /** drizzle relational schema, for `db.query`. Default: none. */
  tables?: Record<string, unknown>
  /**
   * PostgreSQL only: the schema's lock connection dropped, so another process may now write the
   * same schema. Default: print the error and exit the process (fail-stop).
   */
  onLockLost?: (error: StoreLockLostError) => void
}

/** Nothing written after a lost lock can be trusted, so the process stops rather than go on. */
const exitOnLockLost = (error: StoreLockLostError) => {
  console.error(error.message)
  process.exit(70)
}

/** Opens (and migrates) a store; `db` is the caller's drizzle type, the same on both drivers. */
export async function openStore<db = Database>(options: OpenStoreOptions): Promise<Store<db>> {
  if (options.databaseUrl) {
    const schema = options.schema ?? 'public'
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`)
    const lock = await lockSchema({ databaseUrl: options.databaseUrl, schema, onLost: options.onLockLost ?? exitOnLockLost })
    try {
      const admin = postgres(options.databaseUrl, { max: 1, onnotice: () => {} })
      await admin.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
      await admin.end()
      const client = postgres(options.databaseUrl, { max: 4, onnotice: () => {}, connection: { search_path: schema } })
      const db = drizzlePostgres(client, { schema: options.tables })
      await migrate(db, options.migrations).catch(async (err: unknown) => {
        await client.end()
        throw err
      })
      return { db: db as db, kind: 'postgres', close: () => client.end().finally(() => lock.release()) }
    } catch (err) {
      await lock.release()
      throw err
    }
  }
  if (!options.dataDir) {
    const client = await openPglite()
    const db = drizzlePglite(client, { schema: options.tables })
    await migrate(db, options.migrations)
    return { db: db as db, kind: 'pglite', close: () => client.close() }
  }
  const lock = await lockDirectory(options.dataDir)
  try {
    makePrivate(options.dataDir)
    const client = await openPglite(options.dataDir)
    const db = drizzlePglite(client, { schema: options.tables })
    await migrate(db, options.migrations).catch(async (err: unknown) => {
      await client.close()
      throw err
    })
    // Files PGlite created while opening and migrating get the private mode too.
    makePrivate(options.dataDir)
    return { db: db as db, kind: 'pglite', close: () => client.close().finally(() => lock.release()) }
  } catch (err) {
    await lock.release()
    throw err
  }
}

/**
 * PostgreSQL's default shared_buffers (128 MB) is sized for a server; a replica's or a dev
 * gateway's tables are small and the file system caches the files under them anyway. Measured on
 * one PGlite: 16 MB holds ≈ 120 MB less resident memory.
 */
const PGLITE_CONF = 'shared_buffers = 16MB'

/**
 * bytea parameters are bound in binary: the bytes themselves, no text form to build, measure and
 * decode again. PGlite's own serializer (0.5.x) maps every byte to a string (`Array.from(bytes)
 * .map(b => b.toString(16)…)`): a replica spent ≈ 2–3 s of main-thread CPU (and its GC) storing one
 * 1.6 MB component at deploy. PGlite's protocol writer sends any ArrayBuffer view as a binary
 * parameter (format 1), which is what bytea's binary input reads: the same value.
 */
const byteaSerializer = (value: unknown): Uint8Array => {
  if (!(value instanceof Uint8Array)) throw new Error('Invalid input for bytea type')
  return value
}
const defaultByteaParser = types.parsers[types.BYTEA]!
const byteaParser = (text: string): Uint8Array =>
  // Anything but the hex output format (bytea_output = 'escape') goes to PGlite's own parser.
  text.startsWith('\\x') ? new Uint8Array(Buffer.from(text.slice(2), 'hex')) : (defaultByteaParser(text, types.BYTEA) as Uint8Array)

/**
 * A PGlite on `dataDir` (in memory without one). A fresh folder is first seeded from this user's
 * initdb template (pglite-template.ts: a copy instead of initdb in every new data folder). Without
 * one, PGlite runs initdb itself, whose WebAssembly memory stays reachable from that instance
 * (measured: ≈ 320 MB more resident than a PGlite opened on an existing folder), so the folder is
 * then opened, closed (and that instance's memories collected: collect-garbage.ts) and opened again.
 */
async function openPglite(dataDir?: string): Promise<PGlite> {
  const open = async () => {
    const client = new PGlite(dataDir, { postgresqlconf: PGLITE_CONF })
    await client.waitReady
    // Set on the instance once ready: PGlite 0.5.16 drops the constructor's `parsers`/`serializers`.
    client.parsers[types.BYTEA] = byteaParser
    // Typed as answering text; the bind message takes bytes too (see byteaSerializer).
    client.serializers[types.BYTEA] = byteaSerializer as unknown as (value: unknown) => string
    return client
  }
  if (dataDir === undefined || existsSync(join(dataDir, PG_VERSION))) return open()
  if (await seedFromTemplate(dataDir)) return open()
  await closeAndCollect(await open())
  return open()
}
