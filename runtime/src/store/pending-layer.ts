// A layer of invocations the write-behind store has applied in memory but not yet written: the
// latest value of every KV key, file and tree node they changed, their results in seq order and
// each function's new lastAppliedSeq/stateRoot. `writeLayer` writes a whole layer in ONE
// transaction, so the state writes and lastAppliedSeq always become durable together.
import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Database } from './database.ts'
import { appliedResults, files, functionState, kvEntries } from './schema.ts'
import { parentOf, writeNodes, type AppliedResult } from './replica-store.ts'
import { COMPACT_TREE } from './state-root.ts'
import type { FileEntry } from '../sandbox/sync-channel.ts'

const utf8 = new TextEncoder()

export type FunctionLayer = {
  kv: Map<string, Uint8Array | null>
  files: Map<string, FileEntry | null>
  nodes: Map<string, { id: Uint8Array; hash: Uint8Array }>
  results: Map<bigint, AppliedResult>
  lastAppliedSeq: bigint
  stateRoot: Uint8Array
}

export type Layer = { functions: Map<string, FunctionLayer>; invocations: number }

export const emptyLayer = (): Layer => ({ functions: new Map(), invocations: 0 })

export function functionLayer(layer: Layer, functionId: string): FunctionLayer {
  let f = layer.functions.get(functionId)
  if (!f) {
    f = { kv: new Map(), files: new Map(), nodes: new Map(), results: new Map(), lastAppliedSeq: 0n, stateRoot: new Uint8Array(32) }
    layer.functions.set(functionId, f)
  }
  return f
}

/** `older` with `newer` on top (for a failed flush: its layer goes back under what came since). */
export function mergeLayers(older: Layer, newer: Layer): Layer {
  const merged = emptyLayer()
  merged.invocations = older.invocations + newer.invocations
  for (const layer of [older, newer]) {
    for (const [fid, f] of layer.functions) {
      const m = functionLayer(merged, fid)
      for (const [k, v] of f.kv) m.kv.set(k, v)
      for (const [k, v] of f.files) m.files.set(k, v)
      for (const [k, v] of f.nodes) m.nodes.set(k, v)
      for (const [k, v] of f.results) m.results.set(k, v)
      m.lastAppliedSeq = f.lastAppliedSeq
      m.stateRoot = f.stateRoot
    }
  }
  return merged
}

const ROWS = 1000

/** Writes everything in `layer`; `tx` must be an open transaction. */
export async function writeLayer(tx: Database, layer: Layer): Promise<void> {
  for (const [functionId, f] of layer.functions) {
    const kvUpserts = [...f.kv].filter(([, v]) => v !== null).map(([k, v]) => ({ functionId, key: utf8.encode(k), value: v! }))
    const kvDeletes = [...f.kv].filter(([, v]) => v === null).map(([k]) => utf8.encode(k))
    for (let i = 0; i < kvUpserts.length; i += ROWS) {
      await tx
        .insert(kvEntries)
        .values(kvUpserts.slice(i, i + ROWS))
        .onConflictDoUpdate({ target: [kvEntries.functionId, kvEntries.key], set: { value: sql`excluded.value` } })
    }
    for (let i = 0; i < kvDeletes.length; i += ROWS) {
      await tx.delete(kvEntries).where(and(eq(kvEntries.functionId, functionId), inArray(kvEntries.key, kvDeletes.slice(i, i + ROWS))))
    }
    const fileUpserts = [...f.files]
      .filter(([, e]) => e !== null)
      .map(([path, e]) => ({
        functionId,
        path: utf8.encode(path),
        parent: utf8.encode(parentOf(path)),
        kind: e!.kind === 'dir' ? 1 : 0,
        data: e!.kind === 'file' ? e!.data : null,
      }))
    const fileDeletes = [...f.files].filter(([, e]) => e === null).map(([path]) => utf8.encode(path))
    for (let i = 0; i < fileUpserts.length; i += ROWS) {
      await tx
        .insert(files)
        .values(fileUpserts.slice(i, i + ROWS))
        .onConflictDoUpdate({ target: [files.functionId, files.path], set: { kind: sql`excluded.kind`, data: sql`excluded.data` } })
    }
    for (let i = 0; i < fileDeletes.length; i += ROWS) {
      await tx.delete(files).where(and(eq(files.functionId, functionId), inArray(files.path, fileDeletes.slice(i, i + ROWS))))
    }
    await writeNodes(tx, functionId, f.nodes.values())
    const results = [...f.results.values()]
    for (let i = 0; i < results.length; i += 200) {
      await tx.insert(appliedResults).values(results.slice(i, i + 200).map((r) => ({ functionId, ...r })))
    }
    if (results.length) {
      const { lastAppliedSeq, stateRoot } = f
      await tx
        .insert(functionState)
        .values({ functionId, lastAppliedSeq, stateRoot, treeFormat: COMPACT_TREE })
        .onConflictDoUpdate({ target: functionState.functionId, set: { lastAppliedSeq, stateRoot } })
    }
  }
}
