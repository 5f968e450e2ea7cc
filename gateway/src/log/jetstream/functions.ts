// Functions and their versions on JetStream. A deploy is a message in the function's history like
// an append (chain.ts), so a version's `fromSeq` and the code hash stamped on each invocation come
// from the same ordered tail and can never disagree, however deploys and appends race. Every
// message carries the function's head (code hash, last seq, owner), so reading one is reading the
// tail; a deploy message also carries the whole version list.
import type { JetStreamManager } from '@nats-io/jetstream'
import { assertMayRepoint, type DeployerIdentity, type FunctionRecord } from '../index.ts'
import type { Chain, Tail } from './chain.ts'
import type { Indexes } from './indexes.ts'
import { retrying } from './retry.ts'
import { toFunction, type VersionJson } from './records.ts'
import { untoken, type Subjects } from './subjects.ts'

export function createFunctions({ jsm, chain, indexes, subjects }: { jsm: JetStreamManager; chain: Chain; indexes: Indexes; subjects: Subjects }) {
  async function versionsOf(tail: Tail): Promise<VersionJson[]> {
    if (tail.message.kind === 'deploy') return tail.message.versions ?? []
    return (await chain.at(tail.message.head.versionsAt))?.versions ?? []
  }

  async function getFunction(functionId: string): Promise<FunctionRecord | undefined> {
    const tail = await chain.tail(functionId)
    return tail ? toFunction(functionId, tail.message.head) : undefined
  }

  return {
    getFunction,

    /** Same contract as the SQL log's deployFunction (idempotent; repointing needs the owner or an admin). */
    async deployFunction(functionId: string, codeHash: string, by?: DeployerIdentity): Promise<{ created: boolean; function: FunctionRecord }> {
      const written = await chain.extend<{ created: boolean; function: FunctionRecord } | undefined>(functionId, async (tail) => {
        await indexes.ensure(functionId, tail)
        const now = new Date().toISOString()
        if (!tail) {
          const head = { codeHash, lastSeq: '0', owner: by?.fingerprint ?? null, createdAt: now, updatedAt: now, versionsAt: 0 }
          return { publish: { kind: 'deploy', head, versions: [{ codeHash, fromSeq: '1', createdAt: now }] }, planned: undefined }
        }
        const existing = toFunction(functionId, tail.message.head)
        if (existing.codeHash === codeHash) return { answer: { created: false, function: existing } }
        if (by) assertMayRepoint(existing, by)
        const owner = existing.owner ?? by?.fingerprint ?? null // a function from before ownership is adopted
        const fromSeq = String(existing.lastSeq + 1n)
        // A redeploy before any invocation replaces the version at that seq (as the SQL log's upsert).
        const versions = [...(await versionsOf(tail)).filter((v) => v.fromSeq !== fromSeq), { codeHash, fromSeq, createdAt: now }]
        return { publish: { kind: 'deploy', head: { ...tail.message.head, codeHash, owner, updatedAt: now, versionsAt: 0 }, versions }, planned: undefined }
      })
      if ('answer' in written) return written.answer!
      await retrying(() => indexes.ensure(functionId, { ...written, lastOnSubject: written.seq }))
      return { created: true, function: toFunction(functionId, written.message.head) }
    },

    /** Every function, by id (code-unit order). */
    async listFunctions(): Promise<FunctionRecord[]> {
      const info = await jsm.streams.info(subjects.streams.log, { subjects_filter: subjects.logAll })
      const ids = Object.keys(info.state.subjects ?? {})
        .map((s) => untoken(s.slice(subjects.logPrefix.length)))
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      const rows = await Promise.all(ids.map(getFunction))
      return rows.filter((r): r is FunctionRecord => r !== undefined)
    },

    async listVersions(functionId: string) {
      const tail = await chain.tail(functionId)
      if (!tail) return []
      return (await versionsOf(tail)).map((v) => ({ functionId, codeHash: v.codeHash, fromSeq: BigInt(v.fromSeq), createdAt: new Date(v.createdAt) }))
    },
  }
}
