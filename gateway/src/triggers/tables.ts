// drizzle tables of the trigger service and the inbox relay (SQL: migrations/gateway/0002_triggers.sql).
// Kept beside the code that uses them; the query builder needs no registration in the schema object.
import { bigint, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core'

/** Last block appended per chain and trigger. */
export const triggerCursors = pgTable(
  'nexus_trigger_cursors',
  {
    chainId: bigint('chain_id', { mode: 'bigint' }).notNull(),
    triggerKey: text('trigger_key').notNull(),
    blockNumber: bigint('block_number', { mode: 'bigint' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.chainId, t.triggerKey] })],
)

/** Inbox requests seen at finality and how far their fulfilment got. */
export const inboxRequests = pgTable(
  'nexus_inbox_requests',
  {
    chainId: bigint('chain_id', { mode: 'bigint' }).notNull(),
    inbox: text('inbox').notNull(),
    requestId: bigint('request_id', { mode: 'bigint' }).notNull(),
    functionId: text('function_id').notNull(),
    invocationId: text('invocation_id').notNull(),
    state: text('state').notNull().default('pending').$type<'pending' | 'fulfilled' | 'failed'>(),
    txHash: text('tx_hash'),
    error: text('error'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.chainId, t.inbox, t.requestId] })],
)
