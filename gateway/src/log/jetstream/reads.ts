// Reading invocations back: by seq from the index (its immutable part) joined with its latest state
// record. Only a function's last message can be unindexed (its appender stopped between storing it
// and answering), so a read past the index indexes the tail and looks again.
import type { Invocation } from '../index.ts'
import type { Chain } from './chain.ts'
import type { Indexes } from './indexes.ts'
import { toInvocation } from './records.ts'
import type { createStates } from './state.ts'

/** How many index reads are in flight at once for a range. */
const PARALLEL = 64

export function createReads({ chain, indexes, states }: { chain: Chain; indexes: Indexes; states: ReturnType<typeof createStates> }) {
  async function bySeq(functionId: string, seq: bigint): Promise<Invocation | undefined> {
    const [inv, state] = await Promise.all([indexes.invocation(functionId, seq), states.read(functionId, seq)])
    return inv ? toInvocation(inv, state) : undefined
  }

  /** The function's last seq, with its records written. */
  async function lastSeq(functionId: string): Promise<bigint> {
    const tail = await chain.tail(functionId)
    await indexes.ensure(functionId, tail)
    return BigInt(tail?.message.head.lastSeq ?? '0')
  }

  async function getBySeq(functionId: string, seq: bigint): Promise<Invocation | undefined> {
    const found = await bySeq(functionId, seq)
    if (found || seq < 1n || seq > (await lastSeq(functionId))) return found
    return bySeq(functionId, seq)
  }

  return {
    getBySeq,

    async getInvocation(id: string): Promise<Invocation | undefined> {
      if (!/^[0-9a-f-]{36}$/.test(id)) return undefined
      const where = await indexes.locate(id)
      return where ? bySeq(where.functionId, BigInt(where.seq)) : undefined
    },

    /** Invocations with seq > afterSeq, in seq order, at most `limit`. */
    async range(functionId: string, afterSeq: bigint, limit: number): Promise<Invocation[]> {
      const last = await lastSeq(functionId)
      const end = afterSeq + BigInt(limit) < last ? afterSeq + BigInt(limit) : last
      const out: Invocation[] = []
      for (let from = afterSeq + 1n; from <= end; from += BigInt(PARALLEL)) {
        const seqs: bigint[] = []
        for (let s = from; s <= end && s < from + BigInt(PARALLEL); s++) seqs.push(s)
        for (const row of await Promise.all(seqs.map((s) => bySeq(functionId, s)))) if (row) out.push(row)
      }
      return out
    },

    /**
     * Lowest seq not settled yet (or lastSeq + 1). It reads one state record per seq from 1 (the
     * scheduler calls it once per function at start; a long history wants a kept low-water mark).
     */
    async firstPendingSeq(functionId: string): Promise<bigint> {
      const last = await lastSeq(functionId)
      for (let from = 1n; from <= last; from += BigInt(PARALLEL)) {
        const seqs: bigint[] = []
        for (let s = from; s <= last && s < from + BigInt(PARALLEL); s++) seqs.push(s)
        const found = await Promise.all(seqs.map((s) => states.read(functionId, s)))
        const k = found.findIndex((s) => s.state === 'pending')
        if (k >= 0) return seqs[k]!
      }
      return last + 1n
    },
  }
}
