// Persisted cursors: per chain and trigger, the last block whose deliveries are in the log.
import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../database/index.ts'
import { triggerCursors } from './tables.ts'

export type Cursors = ReturnType<typeof createCursors>

export function createCursors(db: Db) {
  return {
    async get(chainId: bigint, triggerKey: string): Promise<bigint | undefined> {
      const [row] = await db
        .select({ blockNumber: triggerCursors.blockNumber })
        .from(triggerCursors)
        .where(and(eq(triggerCursors.chainId, chainId), eq(triggerCursors.triggerKey, triggerKey)))
      return row?.blockNumber
    },
    /** Moves the cursor forward only (a stale writer never moves it back). */
    async set(chainId: bigint, triggerKey: string, blockNumber: bigint): Promise<void> {
      await db
        .insert(triggerCursors)
        .values({ chainId, triggerKey, blockNumber })
        .onConflictDoUpdate({
          target: [triggerCursors.chainId, triggerCursors.triggerKey],
          set: { blockNumber: sql`greatest(${triggerCursors.blockNumber}, excluded.block_number)`, updatedAt: new Date() },
        })
    },
  }
}
