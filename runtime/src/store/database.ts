// One drizzle database per replica: PGlite in a data directory by default, PostgreSQL (one
// schema per replica) when a URL is given. Both speak the same SQL, so the code above is shared.
import { PGlite } from '@electric-sql/pglite'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import { migrate } from './migrate.ts'

import { mkdir } from 'node:fs/promises'

export type Database = ReturnType<typeof drizzlePglite> | ReturnType<typeof drizzlePostgres>
export type Store<db = Database> = { db: db; kind: 'pglite' | 'postgres'; close(): Promise<void> }

export type OpenStoreOptions = {
  /** PGlite data directory; omitted = in memory. Ignored when `databaseUrl` is set. */
  dataDir?: string
  /** PostgreSQL URL. Default: none (embedded PGlite). */
  databaseUrl?: string
  /** PostgreSQL schema holding this store's tables. Default: 'public'. */
  schema?: string
  /** Which migrations folder to apply (`migrations/<name>`). */
  migrations: string
  /** drizzle relational schema, for `db.query`. Default: none. */
  tables?: Record<string, unknown>
}

/** Opens (and migrates) a store; `db` is the caller's drizzle type, the same on both drivers. */
export async function openStore<db = Database>(options: OpenStoreOptions): Promise<Store<db>> {
  if (options.databaseUrl) {
    const schema = options.schema ?? 'public'
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`)
    const admin = postgres(options.databaseUrl, { max: 1, onnotice: () => {} })
    await admin.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
    await admin.end()
    const client = postgres(options.databaseUrl, { max: 4, onnotice: () => {}, connection: { search_path: schema } })
    const db = drizzlePostgres(client, { schema: options.tables })
    await migrate(db, options.migrations)
    return { db: db as db, kind: 'postgres', close: () => client.end() }
  }
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true })
  const client = new PGlite(options.dataDir)
  const db = drizzlePglite(client, { schema: options.tables })
  await migrate(db, options.migrations)
  return { db: db as db, kind: 'pglite', close: () => client.close() }
}
