// `@nexus/runtime/store`: one opener and migrator for PGlite and PostgreSQL, shared with the gateway.
export { openStore, type Store } from './database.ts'
export { migrate, rowsOf, type MigrationSet } from './migrate.ts'
export { jsonbParam } from './jsonb-param.ts'
export { makePrivate, PRIVATE_UMASK } from './private-dir.ts'
