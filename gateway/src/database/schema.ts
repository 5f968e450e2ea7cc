// drizzle schema of the gateway's ordered log. The SQL that creates it is
// migrations/gateway/*.sql (applied in name order); keep the two in step.
import { bigint, jsonb, pgTable, primaryKey, text, timestamp, unique } from 'drizzle-orm/pg-core'
import type { AttestedResult } from '@nexus/protocol/attest'
import type { LogLine } from '@nexus/protocol'

export const artifacts = pgTable('nexus_artifacts', {
  codeHash: text('code_hash').primaryKey(),
  manifest: jsonb('manifest').notNull().$type<Record<string, unknown>>(),
  /** base64 of the component bytes (content-addressed by `codeHash`). */
  component: text('component').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
})

export const functions = pgTable('nexus_functions', {
  id: text('id').primaryKey(),
  codeHash: text('code_hash').notNull(),
  /** Last seq handed out; incremented in the same transaction that writes the invocation. */
  lastSeq: bigint('last_seq', { mode: 'bigint' }).notNull().default(0n),
  /** sha256 hex of the deploy key that created it (0003_function_owner.sql); NULL before that migration. */
  owner: text('owner'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
})

export const functionVersions = pgTable(
  'nexus_function_versions',
  {
    functionId: text('function_id').notNull(),
    codeHash: text('code_hash').notNull(),
    /** First seq that runs this version. */
    fromSeq: bigint('from_seq', { mode: 'bigint' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // Keyed by fromSeq (migrations/gateway/0003): A → B → A is three versions; a redeploy before any
  // invocation replaces the version at that seq.
  (t) => [primaryKey({ columns: [t.functionId, t.fromSeq] })],
)

export type Disagreement = { replica: number; digest?: string; reason: string }

// Rows stay inline and uncompressed up to 8160 bytes (toast_tuple_target, 0007_invocations_inline.sql):
// each is rewritten whole when its result is recorded.
export const invocations = pgTable(
  'nexus_invocations',
  {
    id: text('id').primaryKey(),
    functionId: text('function_id').notNull(),
    seq: bigint('seq', { mode: 'bigint' }).notNull(),
    codeHash: text('code_hash').notNull(),
    /** 0x-hex of the input bytes. */
    input: text('input').notNull(),
    trigger: text('trigger').notNull(),
    timestampMs: bigint('timestamp_ms', { mode: 'bigint' }).notNull(),
    /** Chain-triggered invocations: the chain and block the replicas pin chain reads to (0001_chain_context.sql). */
    chainId: bigint('chain_id', { mode: 'bigint' }),
    blockNumber: bigint('block_number', { mode: 'bigint' }),
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash').notNull(),
    /** 'pending' until t matching shares combined, then 'attested'; 'disputed' when no digest can reach t shares. */
    state: text('state').notNull().default('pending').$type<'pending' | 'attested' | 'disputed'>(),
    result: jsonb('result').$type<AttestedResult>(),
    disagreements: jsonb('disagreements').notNull().default([]).$type<Disagreement[]>(),
    /** 'watchdog' once the log decided to abort this invocation (0004_watchdog_abort.sql); replicas record a fixed result for it. */
    abort: text('abort').$type<'watchdog'>(),
    /** What the handler logged, kept with the result (0006_invocation_logs.sql); not signed. */
    logs: jsonb('logs').notNull().default([]).$type<LogLine[]>(),
    attestedAt: timestamp('attested_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique().on(t.functionId, t.seq), unique().on(t.functionId, t.idempotencyKey)],
)

export const schema = { artifacts, functions, functionVersions, invocations }
