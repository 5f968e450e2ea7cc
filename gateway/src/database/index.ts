// The gateway database: PGlite in a data directory by default (in memory when none is given),
// PostgreSQL when a URL is given (tables in their own schema). Same SQL, same code above it.
import { mkdir, readFile } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import { schema } from './schema.ts'

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>
export type Database = { db: Db; kind: 'pglite' | 'postgres'; close(): Promise<void> }

export type CreateDatabaseParameters = {
  /** PGlite data directory. Default: in memory. Ignored when `databaseUrl` is set. */
  dataDir?: string
  /** PostgreSQL URL. Default: `process.env.DATABASE_URL` is NOT read here; callers pass it. */
  databaseUrl?: string
  /** PostgreSQL schema for the gateway's tables. Default: 'nexus_gateway'. */
  schema?: string
}

const migrationFile = new URL('../../../migrations/gateway/0000_init.sql', import.meta.url)

async function migrate(db: Db): Promise<void> {
  const text = await readFile(migrationFile, 'utf8')
  for (const statement of text.split('--> statement-breakpoint')) {
    if (statement.trim()) await db.execute(sql.raw(statement))
  }
}

/** @example const { db, close } = await createDatabase({ dataDir: '.nexus/gateway' }) */
export async function createDatabase(parameters: CreateDatabaseParameters = {}): Promise<Database> {
  if (parameters.databaseUrl) {
    const name = parameters.schema ?? 'nexus_gateway'
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid schema name ${name}`)
    const admin = postgres(parameters.databaseUrl, { max: 1, onnotice: () => {} })
    await admin.unsafe(`CREATE SCHEMA IF NOT EXISTS ${name}`)
    await admin.end()
    const client = postgres(parameters.databaseUrl, { max: 8, onnotice: () => {}, connection: { search_path: name } })
    const db = drizzlePostgres(client, { schema }) as unknown as Db
    await migrate(db)
    return { db, kind: 'postgres', close: () => client.end() }
  }
  if (parameters.dataDir) await mkdir(parameters.dataDir, { recursive: true })
  const client = new PGlite(parameters.dataDir)
  const db = drizzlePglite(client, { schema }) as unknown as Db
  await migrate(db)
  return { db, kind: 'pglite', close: () => client.close() }
}

export { schema } from './schema.ts'
export type { Disagreement } from './schema.ts'
