// Data directories written before the compact tree hold 256-level smt_nodes rows and roots
// (function_state.tree_format = 1, set by migrations/replica/0001). The leaves are a function of
// the stored KV entries and files alone, so the compact tree is rebuilt from them: every replica
// gets the same root, and the marker makes it happen once per function.
import { eq } from 'drizzle-orm'
import type { Database } from './database.ts'
import { files, functionState, kvEntries, smtNodes } from './schema.ts'
import { buildTree, COMPACT_TREE, fileValueHash, kvValueHash, leafHash, treeKey } from './state-root.ts'
import { writeNodes } from './replica-store.ts'

const text = new TextDecoder()

/** Replaces `functionId`'s old-format tree by the compact one over its stored state; returns the new root. */
export async function rebuildOldFormatTree(db: Database, functionId: string): Promise<Uint8Array> {
  return db.transaction(async (tx) => {
    const t = tx as unknown as Database
    const { root, nodes } = await buildTree(await storedLeaves(t, functionId))
    await t.delete(smtNodes).where(eq(smtNodes.functionId, functionId))
    await writeNodes(t, functionId, nodes.values())
    await t.update(functionState).set({ stateRoot: root, treeFormat: COMPACT_TREE }).where(eq(functionState.functionId, functionId))
    return root
  })
}

/** Every (tree key, leaf) pair the function's KV entries and files commit to. */
export async function storedLeaves(db: Database, functionId: string): Promise<[Uint8Array, Uint8Array][]> {
  const leaves: [Uint8Array, Uint8Array][] = []
  for (const row of await db.select().from(kvEntries).where(eq(kvEntries.functionId, functionId))) {
    const k = treeKey(`k:${text.decode(row.key)}`)
    leaves.push([k, leafHash(k, kvValueHash(row.value))])
  }
  for (const row of await db.select().from(files).where(eq(files.functionId, functionId))) {
    const k = treeKey(`f:${text.decode(row.path)}`)
    const entry = row.kind === 1 ? { kind: 'dir' as const } : { kind: 'file' as const, data: row.data ?? new Uint8Array(0) }
    leaves.push([k, leafHash(k, fileValueHash(entry))])
  }
  return leaves
}
