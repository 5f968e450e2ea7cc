// A run of consecutive invocations of one function applied inside ONE database transaction: one
// durable commit for the whole run instead of one per invocation. KV and file writes go to the
// transaction as each invocation finishes (so the next one reads them); tree nodes, results and
// the function's lastAppliedSeq are kept in memory and written once by `finish`, so a key written
// by every invocation of the run costs its 257 node upserts once, not once per invocation. The
// per-invocation state roots are exactly what single commits would give (same tree updates).
import { eq } from 'drizzle-orm'
import type { Database } from './database.ts'
import { appliedResults, functionState } from './schema.ts'
import { createReplicaStore, nodeLoader, SeqConflictError, writeEntries, writeNodes, type AppliedResult } from './replica-store.ts'
import { nodeKey, updateTree, ZERO } from './state-root.ts'
import type { WriteSet } from '../sandbox/overlay.ts'
import type { ReadRequest } from '../sandbox/sync-channel.ts'

/** The part of the replica store that applying one invocation uses. */
export type ApplyStore = {
  applied(functionId: string, seq: bigint): Promise<AppliedResult | undefined>
  state(functionId: string): Promise<{ lastAppliedSeq: bigint; stateRoot: Uint8Array }>
  read(functionId: string, request: ReadRequest): Promise<unknown>
  commit(functionId: string, result: Omit<AppliedResult, 'stateRootAfter'>, writes: WriteSet): Promise<Uint8Array>
}

export type BatchStore = ApplyStore & {
  /** Write the accumulated tree nodes, results and lastAppliedSeq (still inside the transaction). */
  finish(): Promise<void>
}

/** `tx` must be an open transaction; everything this store does happens in it. */
export async function createBatchStore(tx: Database, functionId: string): Promise<BatchStore> {
  const inner = createReplicaStore(tx)
  const [current] = await tx.select().from(functionState).where(eq(functionState.functionId, functionId)).for('update')
  let lastAppliedSeq = current?.lastAppliedSeq ?? 0n
  let stateRoot = current?.stateRoot ?? ZERO
  const nodes = new Map<string, { id: Uint8Array; hash: Uint8Array }>()
  const readCache = new Map<string, { id: Uint8Array; hash: Uint8Array }>()
  const results: AppliedResult[] = []
  const loadStored = nodeLoader(tx, functionId)
  const check = (fid: string) => {
    if (fid !== functionId) throw new Error(`batch store of ${functionId} used for ${fid}`)
  }

  return {
    async applied(fid, seq) {
      check(fid)
      // Past what is applied nothing is recorded: skip the query (the common case in a batch).
      if (seq > lastAppliedSeq) return undefined
      return inner.applied(fid, seq)
    },
    async state(fid) {
      check(fid)
      return { lastAppliedSeq, stateRoot }
    },
    read(fid, request) {
      check(fid)
      return inner.read(fid, request)
    },
    async commit(fid, result, writes) {
      check(fid)
      if (result.seq !== lastAppliedSeq + 1n) throw new SeqConflictError(`function ${fid}: seq ${result.seq} after ${lastAppliedSeq}`)
      const changes = await writeEntries(tx, fid, writes)
      if (changes.length) {
        const updated = await updateTree(changes, async (ids) => {
          const found = new Map<string, Uint8Array>()
          const missing: Uint8Array[] = []
          for (const id of ids) {
            const cached = nodes.get(nodeKey(id)) ?? readCache.get(nodeKey(id))
            if (cached) found.set(nodeKey(id), cached.hash)
            else missing.push(id)
          }
          if (missing.length) {
            const stored = await loadStored(missing)
            // Remember what was read, absent nodes included: the next invocation of the run needs
            // the same siblings, and nothing else writes this function's nodes meanwhile.
            for (const id of missing) {
              const k = nodeKey(id)
              const hash = stored.get(k) ?? ZERO
              readCache.set(k, { id, hash })
              found.set(k, hash)
            }
          }
          return found
        })
        for (const [k, node] of updated.nodes) nodes.set(k, node)
        stateRoot = updated.root
      }
      lastAppliedSeq = result.seq
      results.push({ ...result, stateRootAfter: stateRoot })
      return stateRoot
    },
    async finish() {
      if (results.length === 0) return
      await writeNodes(tx, functionId, nodes.values())
      await tx.insert(functionState).values({ functionId, lastAppliedSeq, stateRoot })
        .onConflictDoUpdate({ target: functionState.functionId, set: { lastAppliedSeq, stateRoot } })
      for (let i = 0; i < results.length; i += 200)
        await tx.insert(appliedResults).values(results.slice(i, i + 200).map((r) => ({ functionId, ...r })))
    },
  }
}
