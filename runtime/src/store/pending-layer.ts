// A layer of invocations the write-behind store has applied in memory but not yet written: the
// latest value of every KV key, file and tree node they changed, their results in seq order and
// each function's new lastAppliedSeq/stateRoot. `writeLayer` writes a whole layer in ONE
// transaction, so the state writes and lastAppliedSeq always become durable together.
import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Database } from './database.ts'
import { files, functionState, kvEntries } from './schema.ts'
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

// Rows travel as a few comma-separated text parameters unpacked by the database (as tree nodes do,
// replica-store.ts): drizzle's one bound parameter per column per row cost a replica ≈ 0.25 ms of
// main-thread CPU per invocation in a backfill's flushes, mostly PGlite and drizzle binding them.
// Each hex item starts with 'x', so an empty value is an item too (string_to_array('') is empty).
const hexList = (items: Uint8Array[]) => items.map((b) => `x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`).join(',')

/** Writes everything in `layer`; `tx` must be an open transaction. */
export async function writeLayer(tx: Database, layer: Layer): Promise<void> {
  for (const [functionId, f] of layer.functions) {
    const kvUpserts = [...f.kv].filter((e): e is [string, Uint8Array] => e[1] !== null)
    const kvDeletes = [...f.kv].filter(([, v]) => v === null).map(([k]) => utf8.encode(k))
    for (let i = 0; i < kvUpserts.length; i += ROWS) {
      const chunk = kvUpserts.slice(i, i + ROWS)
      await tx.execute(sql`INSERT INTO kv_entries (function_id, key, value)
        SELECT ${functionId}, decode(substr(k, 2), 'hex'), decode(substr(v, 2), 'hex')
        FROM unnest(string_to_array(${hexList(chunk.map(([k]) => utf8.encode(k)))}, ','), string_to_array(${hexList(chunk.map(([, v]) => v))}, ',')) AS x(k, v)
        ON CONFLICT (function_id, key) DO UPDATE SET value = excluded.value`)
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
    for (let i = 0; i < results.length; i += ROWS) {
      const chunk = results.slice(i, i + ROWS)
      const column = (pick: (r: AppliedResult) => Uint8Array) => hexList(chunk.map(pick))
      const numbers = (pick: (r: AppliedResult) => bigint | number) => chunk.map((r) => pick(r).toString()).join(',')
      await tx.execute(sql`INSERT INTO applied_results (function_id, seq, code_hash, input_hash, status, output, fuel_used, state_root_before, state_root_after)
        SELECT ${functionId}, s::bigint, c, decode(substr(i, 2), 'hex'), st::smallint, decode(substr(o, 2), 'hex'), fu::bigint, decode(substr(b, 2), 'hex'), decode(substr(a, 2), 'hex')
        FROM unnest(
          string_to_array(${numbers((r) => r.seq)}, ','), string_to_array(${chunk.map((r) => r.codeHash).join(',')}, ','),
          string_to_array(${column((r) => r.inputHash)}, ','), string_to_array(${numbers((r) => r.status)}, ','),
          string_to_array(${column((r) => r.output)}, ','), string_to_array(${numbers((r) => r.fuelUsed)}, ','),
          string_to_array(${column((r) => r.stateRootBefore)}, ','), string_to_array(${column((r) => r.stateRootAfter)}, ',')
        ) AS x(s, c, i, st, o, fu, b, a)`)
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
