// Which code each function runs from which seq, as the gateway deployed it. A replica refuses an
// execute whose code hash is not the version active at that seq for that function id, so one
// function's code never runs on another function's state and an execute request cannot choose
// its code. Versions are rare and read on every execute: kept in memory per function, written
// straight to the database (not through the write-behind store).
import { asc, eq } from 'drizzle-orm'
import type { Database } from './database.ts'
import { functionVersions } from './schema.ts'

import type { FunctionVersion } from '@nexus/protocol'

export type { FunctionVersion }

export type VersionStore = ReturnType<typeof createVersionStore>

export function createVersionStore(db: Database) {
  const cache = new Map<string, Promise<FunctionVersion[]>>()

  function list(functionId: string): Promise<FunctionVersion[]> {
    let entry = cache.get(functionId)
    if (!entry) {
      // `.then` turns drizzle's query builder into a promise of its rows: the builder itself is a
      // thenable that runs its query again on every await, so caching it cached nothing (one
      // versions query per execute: ≈ 30 % of a replica's main-thread CPU in an event backfill).
      entry = db
        .select({ fromSeq: functionVersions.fromSeq, codeHash: functionVersions.codeHash })
        .from(functionVersions)
        .where(eq(functionVersions.functionId, functionId))
        .orderBy(asc(functionVersions.fromSeq))
        .then((rows) => rows)
      cache.set(functionId, entry)
      entry.catch(() => cache.delete(functionId))
    }
    return entry
  }

  return {
    list,
    /** The code hash that runs `seq` of the function, or undefined when no version covers it. */
    async activeAt(functionId: string, seq: bigint): Promise<string | undefined> {
      let active: string | undefined
      for (const v of await list(functionId)) if (v.fromSeq <= seq) active = v.codeHash
      return active
    },
    /** Record versions (already checked by the caller); replaces one at the same fromSeq. */
    async save(functionId: string, versions: FunctionVersion[]): Promise<void> {
      cache.delete(functionId)
      for (const v of versions)
        await db
          .insert(functionVersions)
          .values({ functionId, fromSeq: v.fromSeq, codeHash: v.codeHash })
          .onConflictDoUpdate({ target: [functionVersions.functionId, functionVersions.fromSeq], set: { codeHash: v.codeHash } })
      cache.delete(functionId)
    },
    /** Forget the function's versions (its state was reset; the gateway binds them again). */
    async drop(functionId: string): Promise<void> {
      cache.delete(functionId)
      await db.delete(functionVersions).where(eq(functionVersions.functionId, functionId))
      cache.delete(functionId)
    },
  }
}
