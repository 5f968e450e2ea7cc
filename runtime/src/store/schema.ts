import { bigint, customType, jsonb, pgTable, primaryKey, smallint, text } from 'drizzle-orm/pg-core'

/** bytea as Uint8Array on both drivers (postgres.js returns Buffer, PGlite Uint8Array). */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
  fromDriver: (value) => new Uint8Array(value),
})

export const kvEntries = pgTable(
  'kv_entries',
  {
    functionId: text('function_id').notNull(),
    key: bytea('key').notNull(),
    value: bytea('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.functionId, t.key] })],
)

export const files = pgTable(
  'files',
  {
    functionId: text('function_id').notNull(),
    path: bytea('path').notNull(),
    parent: bytea('parent').notNull(),
    kind: smallint('kind').notNull(),
    data: bytea('data'),
  },
  (t) => [primaryKey({ columns: [t.functionId, t.path] })],
)

/** Tree nodes; `hash` holds the node's stored value (see state-root.ts: 65 bytes inner, 64 bytes leaf). */
export const smtNodes = pgTable(
  'smt_nodes',
  {
    functionId: text('function_id').notNull(),
    node: bytea('node').notNull(),
    hash: bytea('hash').notNull(),
  },
  (t) => [primaryKey({ columns: [t.functionId, t.node] })],
)

export const functionState = pgTable('function_state', {
  functionId: text('function_id').primaryKey(),
  lastAppliedSeq: bigint('last_applied_seq', { mode: 'bigint' }).notNull(),
  stateRoot: bytea('state_root').notNull(),
  /** 1 = old 256-level tree (rebuilt on first load), 2 = compact tree (migrations/replica/0001). */
  treeFormat: smallint('tree_format').notNull().default(2),
})

export const appliedResults = pgTable(
  'applied_results',
  {
    functionId: text('function_id').notNull(),
    seq: bigint('seq', { mode: 'bigint' }).notNull(),
    codeHash: text('code_hash').notNull(),
    inputHash: bytea('input_hash').notNull(),
    status: smallint('status').notNull(),
    output: bytea('output').notNull(),
    fuelUsed: bigint('fuel_used', { mode: 'bigint' }).notNull(),
    stateRootBefore: bytea('state_root_before').notNull(),
    stateRootAfter: bytea('state_root_after').notNull(),
  },
  (t) => [primaryKey({ columns: [t.functionId, t.seq] })],
)

export const artifacts = pgTable('artifacts', {
  codeHash: text('code_hash').primaryKey(),
  manifest: jsonb('manifest').notNull(),
  component: bytea('component').notNull(),
})

/** Which code a function runs from which seq (migrations/replica/0002_function_versions.sql). */
export const functionVersions = pgTable(
  'function_versions',
  {
    functionId: text('function_id').notNull(),
    fromSeq: bigint('from_seq', { mode: 'bigint' }).notNull(),
    codeHash: text('code_hash').notNull(),
  },
  (t) => [primaryKey({ columns: [t.functionId, t.fromSeq] })],
)
