// The gateway database: PGlite in a data directory by default (in memory when none is given),
// PostgreSQL when a URL is given (tables in their own schema). Same SQL, same code above it.
import { fileURLToPath } from 'node:url'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { openStore, type Store } from '@nexus/runtime/store'
import { schema } from './schema.ts'

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>
export type Database = Store<Db>

export type CreateDatabaseParameters = {
  /** PGlite data directory. Default: in memory. Ignored when `databaseUrl` is set. */
  dataDir?: string
  /** PostgreSQL URL. Default: `process.env.DATABASE_URL` is NOT read here; callers pass it. */
  databaseUrl?: string
  /** PostgreSQL schema for the gateway's tables. Default: 'nexus_gateway'. */
  schema?: string
}

/** @example const { db, close } = await createDatabase({ dataDir: '.nexus/gateway' }) */
export function createDatabase(parameters: CreateDatabaseParameters = {}): Promise<Database> {
  // Same opener and migrator as the replicas: one code path for PGlite/Postgres and schemas.
  return openStore<Db>({
    dataDir: parameters.dataDir,
    databaseUrl: parameters.databaseUrl,
    schema: parameters.databaseUrl ? (parameters.schema ?? 'nexus_gateway') : undefined,
    migrations: { name: 'gateway', root: fileURLToPath(new URL('../../migrations', import.meta.url)) },
    tables: schema,
  })
}

export { schema } from './schema.ts'
export type { Disagreement } from './schema.ts'
