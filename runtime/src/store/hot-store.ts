// The replica's write-behind store. Applying an invocation touches only memory when the caches are
// warm: its writes, tree nodes and result go to a *pending* layer, and a background flush writes
// whole layers (many invocations, of any functions) in ONE transaction each (group commit). The
// replica is the only writer of its database, so the caches stay coherent with it.
//
// Reads look in pending → flushing (the layer being written, visible until its transaction
// commits) → the bounded caches → the database. A replica may therefore sign results that are not
// durable yet; after a crash it restarts from its last flushed seq and re-executes the rest,
// deterministically, to identical results (docs/runtime.md, "Storage and ordering").
//
// PGlite has one connection and a transaction holds it: a read issued during a flush waits for
// it. The flush never awaits anything that waits for a read, so this cannot deadlock.
import type { Database } from './database.ts'
import { createReplicaStore, leafChanges, nodeLoader, SeqConflictError, type AppliedResult } from './replica-store.ts'
import { COMPACT_TREE, isInner, proveKeyPath, treeKey, updateTree, ZERO, type PathIds, type StateProof } from './state-root.ts'
import { rebuildOldFormatTree } from './tree-format.ts'
import { BoundedCache } from './bounded-cache.ts'
import { appliedResults, files, functionState, kvEntries, smtNodes } from './schema.ts'
import { eq } from 'drizzle-orm'
import { emptyLayer, functionLayer, mergeLayers, writeLayer, type FunctionLayer, type Layer } from './pending-layer.ts'
import type { FileEntry, ReadRequest } from '../sandbox/sync-channel.ts'
import type { WriteSet } from '../sandbox/overlay.ts'

export type HotStoreOptions = {
  /**
   * How long a commit waits for company before its layer is flushed. 0 = no write-behind: every
   * commit returns only once it is durable. Default: 250 ms. On PGlite a flush blocks the thread
   * for ~5–7 ms whatever it holds (measured 12.4 ms per hello invocation at 20 ms, 11 ms at 50 ms
   * in a tight loop); one-at-a-time synchronous traffic (~20/s) flushed once per invocation at
   * 50 ms, which cost each replica ~6 ms of CPU per invocation. A longer window only means more
   * re-execution after a crash, which determinism makes harmless.
   */
  flushDelayMs?: number
  /** Flush at once when this many invocations are pending. Default: 1000. */
  flushAt?: number
  /** Commits fail (StoreBacklogError) while this many invocations are unflushed. Default: 20,000. */
  maxPending?: number
  /** Entries per cache (tree nodes; KV values; files). Default: 200,000. */
  cacheEntries?: number
}

/** Thrown by `commit` while flushes fail and too much is unflushed: the caller should retry later. */
export class StoreBacklogError extends Error {
  override name = 'StoreBacklogError'
}

export type HotStore = ReturnType<typeof createHotStore>

type FunctionState = { lastAppliedSeq: bigint; stateRoot: Uint8Array; commits: number }

export function createHotStore(db: Database, options: HotStoreOptions = {}) {
  const flushDelayMs = options.flushDelayMs ?? 250
  const flushAt = options.flushAt ?? 1000
  const maxPending = options.maxPending ?? 20_000
  const capacity = options.cacheEntries ?? 200_000
  const stored = createReplicaStore(db)
  const states = new Map<string, Promise<FunctionState>>()
  const nodeCache = new BoundedCache<Uint8Array>(capacity)
  const kvCache = new BoundedCache<Uint8Array | null>(capacity)
  const fileCache = new BoundedCache<FileEntry | null>(Math.ceil(capacity / 10))
  let pending: Layer = emptyLayer()
  let flushing: Layer | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let failures = 0
  let lastFailure: unknown
  let closed = false

  // Cache keys: the length prefix keeps (function, key) pairs unambiguous whatever they contain.
  const ck = (functionId: string, key: string) => `${functionId.length}:${functionId}${key}`

  function loaded(functionId: string): Promise<FunctionState> {
    let entry = states.get(functionId)
    if (!entry) {
      entry = stored.state(functionId).then(async (s) => {
        // A data directory from before the compact tree: rebuild this function's tree once, first.
        const stateRoot = s.treeFormat === COMPACT_TREE ? s.stateRoot : await rebuildOldFormatTree(db, functionId)
        return { lastAppliedSeq: s.lastAppliedSeq, stateRoot, commits: 0 }
      })
      states.set(functionId, entry)
      entry.catch(() => states.delete(functionId))
    }
    return entry
  }

  /** The newest unflushed version of something, if any: pending first, then the layer being flushed. */
  function unflushed<T>(functionId: string, pick: (f: FunctionLayer) => Map<string, T>, key: string): { value: T } | undefined {
    for (const layer of [pending, flushing]) {
      const f = layer?.functions.get(functionId)
      if (f && pick(f).has(key)) return { value: pick(f).get(key)! }
    }
    return undefined
  }

  /** Reads from the database and caches what it read, unless a commit of the function came in between. */
  async function readThrough<T>(
    functionId: string,
    pick: (f: FunctionLayer) => Map<string, T>,
    cache: BoundedCache<T>,
    key: string,
    query: () => Promise<T>,
  ): Promise<T> {
    const state = await loaded(functionId)
    const layered = unflushed(functionId, pick, key)
    if (layered) return layered.value
    const cached = cache.get(ck(functionId, key))
    if (cached !== undefined) return cached
    const commits = state.commits
    const value = await query()
    if (state.commits === commits) cache.set(ck(functionId, key), value)
    return value
  }

  /**
   * Tree nodes by id (ZERO = absent), loading only the ones not in memory. Ids come as one path,
   * top-down (or a single id): the walk stops at the first node that is not an inner node, since
   * nothing is stored below it, and on the first miss asks the database for the rest in one query.
   */
  async function nodes(functionId: string, ids: PathIds): Promise<Map<string, Uint8Array>> {
    const state = await loaded(functionId)
    const found = new Map<string, Uint8Array>()
    const inPending = pending.functions.get(functionId)?.nodes
    const inFlushing = flushing?.functions.get(functionId)?.nodes
    const inLayers = (k: string) => inPending?.get(k)?.hash ?? inFlushing?.get(k)?.hash
    const prefix = ck(functionId, '')
    let i = 0
    for (; i < ids.length; i++) {
      const k = ids.keyAt(i)
      const value = inLayers(k) ?? nodeCache.get(prefix + k)
      if (!value) break
      found.set(k, value)
      if (!isInner(value)) return found
    }
    if (i === ids.length) return found
    const commits = state.commits
    const missing: string[] = []
    for (let j = i; j < ids.length; j++) missing.push(ids.keyAt(j))
    const rows = await nodeLoader(db, functionId)(missing)
    for (const k of missing) {
      const unflushedValue = inLayers(k)
      const value = unflushedValue ?? rows.get(k) ?? ZERO
      found.set(k, value)
      // Only durable values are cached; the terminal is cached even when empty, since most new
      // keys end at an empty subtree.
      if (!unflushedValue && state.commits === commits) nodeCache.set(prefix + k, value)
      if (!isInner(value)) break
    }
    return found
  }

  const hasWrites = (layer: Layer | undefined, functionId: string) => {
    const f = layer?.functions.get(functionId)
    return !!f && (f.kv.size > 0 || f.files.size > 0)
  }

  async function read(functionId: string, request: ReadRequest): Promise<unknown> {
    switch (request.op) {
      case 'kv.get':
        return readThrough(
          functionId,
          (f) => f.kv,
          kvCache,
          request.key,
          () => stored.read(functionId, request) as Promise<Uint8Array | null>,
        )
      case 'fs.get':
        return readThrough(
          functionId,
          (f) => f.files,
          fileCache,
          request.path,
          () => stored.read(functionId, request) as Promise<FileEntry | null>,
        )
      default:
        // Range reads are rare: let the database answer them once it holds this function's writes.
        while (hasWrites(pending, functionId) || hasWrites(flushing, functionId)) await flush()
        return stored.read(functionId, request)
    }
  }

  async function applied(functionId: string, seq: bigint): Promise<AppliedResult | undefined> {
    const state = await loaded(functionId)
    // Past what is applied nothing is recorded: no query (the common case).
    if (seq > state.lastAppliedSeq) return undefined
    const result = pending.functions.get(functionId)?.results.get(seq) ?? flushing?.functions.get(functionId)?.results.get(seq)
    return result ?? stored.applied(functionId, seq)
  }

  async function state(functionId: string): Promise<{ lastAppliedSeq: bigint; stateRoot: Uint8Array }> {
    const { lastAppliedSeq, stateRoot } = await loaded(functionId)
    return { lastAppliedSeq, stateRoot }
  }

  /** Applies one invocation in memory and returns the new state root; writes are empty for failed invocations. */
  async function commit(functionId: string, result: Omit<AppliedResult, 'stateRootAfter'>, writes: WriteSet): Promise<Uint8Array> {
    if (closed) throw new Error('store is closed')
    const state = await loaded(functionId)
    if (result.seq !== state.lastAppliedSeq + 1n) throw new SeqConflictError(`function ${functionId}: seq ${result.seq} after ${state.lastAppliedSeq}`)
    const unflushedCount = pending.invocations + (flushing?.invocations ?? 0)
    if (unflushedCount >= maxPending) {
      throw new StoreBacklogError(`${unflushedCount} invocations are not written yet (last flush failure: ${String(lastFailure)})`, { cause: lastFailure })
    }
    const changes = leafChanges(writes)
    let root = state.stateRoot
    let changed: Map<string, { id: Uint8Array; hash: Uint8Array }> | undefined
    if (changes.length) {
      const updated = await updateTree(changes, (ids) => nodes(functionId, ids))
      root = updated.root
      changed = updated.nodes
    }
    // Everything below is synchronous: readers see all of this invocation or none of it.
    const f = functionLayer(pending, functionId)
    for (const [key, value] of writes.kv) f.kv.set(key, value)
    for (const [path, entry] of writes.files) f.files.set(path, entry)
    if (changed) for (const [k, node] of changed) f.nodes.set(k, node)
    f.results.set(result.seq, { ...result, stateRootAfter: root })
    f.lastAppliedSeq = result.seq
    f.stateRoot = root
    pending.invocations++
    state.lastAppliedSeq = result.seq
    state.stateRoot = root
    state.commits++
    if (flushDelayMs === 0) await flush()
    else schedule()
    return root
  }

  /** The proof of one KV key's value (or absence) against the current root (see `verifyProof`). */
  async function proveKey(functionId: string, key: string): Promise<StateProof> {
    return proveKeyPath(treeKey(`k:${key}`), (ids) => nodes(functionId, ids))
  }

  function schedule() {
    // While flushes fail, only the backoff timer retries: no flush per commit.
    if (failures === 0 && pending.invocations >= flushAt) {
      clearTimeout(timer)
      timer = undefined
      void flush().catch(retryLater)
    } else {
      timer ??= setTimeout(flushByTimer, flushDelayMs)
    }
  }

  function flushByTimer() {
    timer = undefined
    void flush().catch(retryLater)
  }

  function retryLater() {
    if (closed) return
    clearTimeout(timer)
    timer = setTimeout(flushByTimer, Math.min(5000, 50 * 2 ** failures))
  }

  // Flushes run one at a time; a caller arriving while one runs shares the next one.
  let running: Promise<void> = Promise.resolve()
  let queued: Promise<void> | undefined
  function flush(): Promise<void> {
    queued ??= running
      .catch(() => {})
      .then(() => {
        queued = undefined
        return flushOnce()
      })
    running = queued
    return queued
  }

  async function flushOnce(): Promise<void> {
    if (pending.invocations === 0) return
    const layer = (flushing = pending)
    pending = emptyLayer()
    try {
      await db.transaction(async (tx) => writeLayer(tx as unknown as Database, layer))
    } catch (err) {
      // Keep the layer (under what was committed since) and let the caller or the timer retry.
      pending = mergeLayers(layer, pending)
      flushing = undefined
      failures++
      lastFailure = err
      throw err
    }
    // Durable now: what the layer holds is what the database holds, so the caches may keep it.
    for (const [fid, f] of layer.functions) {
      for (const [k, v] of f.kv) kvCache.set(ck(fid, k), v)
      for (const [k, v] of f.files) fileCache.set(ck(fid, k), v)
      for (const [k, v] of f.nodes) nodeCache.set(ck(fid, k), v.hash)
    }
    flushing = undefined
    failures = 0
  }

  /** Writes everything pending (retrying once per call); throws if the database refuses. */
  async function flushAll(): Promise<void> {
    while (pending.invocations > 0 || flushing) await flush()
  }

  return {
    applied,
    state,
    read,
    commit,
    proveKey,
    flush: flushAll,
    /**
     * Delete everything of one function (its invocations must not run meanwhile: the replica calls
     * this on the function's queue). What is pending is flushed first, so no later flush writes
     * the old state back; the caches are cleared whole, as this is a rare repair.
     */
    async dropFunction(functionId: string): Promise<void> {
      await flushAll()
      await db.transaction(async (tx) => {
        for (const table of [kvEntries, files, smtNodes, functionState, appliedResults]) await tx.delete(table).where(eq(table.functionId, functionId))
      })
      states.delete(functionId)
      nodeCache.clear()
      kvCache.clear()
      fileCache.clear()
    },
    saveArtifact: stored.saveArtifact,
    loadArtifact: stored.loadArtifact,
    /** Flushes what is pending; no commits after this. */
    async close(): Promise<void> {
      closed = true
      clearTimeout(timer)
      timer = undefined
      await flushAll()
    },
    /** Test only: forget everything unflushed, as a crash would. */
    async abandon(): Promise<void> {
      closed = true
      clearTimeout(timer)
      timer = undefined
      pending = emptyLayer()
      await running.catch(() => {})
    },
  }
}
