// What happens to an invocation after it is appended: its attested result, a dispute, the
// watchdog's abort, the handler's log lines. One record per invocation holding its latest state,
// changed by read-modify-write conditioned on the record's last sequence (a racing writer re-reads),
// so an abort never lands on an attested invocation and a result never drops an abort.
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream'
import type { Disagreement } from '../../database/index.ts'
import type { LogLine } from '@nexus/protocol'
import type { AttestedResult } from '@nexus/protocol/attest'
import type { Indexes } from './indexes.ts'
import { retrying } from './retry.ts'
import { decode, encode, isWrongLastSequence, PENDING, type StateJson } from './records.ts'
import type { Subjects } from './subjects.ts'

export function createStates({ js, jsm, subjects, indexes }: { js: JetStreamClient; jsm: JetStreamManager; subjects: Subjects; indexes: Indexes }) {
  const stream = subjects.streams.state

  async function readWithSeq(functionId: string, seq: bigint): Promise<{ state: StateJson; at: number }> {
    const m = await jsm.streams.getMessage(stream, { last_by_subj: subjects.state(functionId, seq) })
    return m ? { state: decode<StateJson>(m.data), at: m.seq } : { state: PENDING, at: 0 }
  }

  /** The last record stored strictly between `after` and `mine` on the subject, if any. */
  async function slippedIn(subject: string, after: number, mine: number): Promise<StateJson | undefined> {
    let found: StateJson | undefined
    for (let s = after + 1; ; ) {
      const m = await jsm.streams.getMessage(stream, { seq: s, next_by_subj: subject } as unknown as { seq: number })
      if (!m || m.seq > mine) throw new Error('JetStream log: the state stream leader has not applied an acknowledged record yet')
      if (m.seq === mine) return found
      found = decode<StateJson>(m.data)
      s = m.seq + 1
    }
  }

  /** Publish `next` if the subject's last record is still `at`: its stream seq, or 0 when another was first. */
  const publishOn = (subject: string, next: StateJson, at: number) =>
    retrying(async () => {
      try {
        return (await js.publish(subject, encode(next), { expect: { lastSubjectSequence: at } })).seq
      } catch (err) {
        // Also what a retry of a publish stored despite a lost answer gets: the caller re-reads.
        if (isWrongLastSequence(err)) return 0
        throw err
      }
    })

  /** Apply `change` to the invocation's state (no-op for an unknown id or when `change` answers undefined). */
  async function update(id: string, change: (state: StateJson) => StateJson | undefined): Promise<void> {
    const where = await retrying(() => indexes.locate(id))
    if (!where) return
    const subject = subjects.state(where.functionId, BigInt(where.seq))
    for (;;) {
      const { state, at } = await retrying(() => readWithSeq(where.functionId, BigInt(where.seq)))
      let next = change(state)
      if (!next) return
      for (let base = at; ; ) {
        const mine = await publishOn(subject, next, base)
        if (mine === 0) break // another writer was first: read its record and decide again
        // nats-server 2.9 may store two records written on the same last one (see chain.ts): then
        // ours dropped the other's change. Write ours applied to it, on top.
        const other = await retrying(() => slippedIn(subject, base, mine))
        if (!other) return
        next = change(other) ?? other
        base = mine
      }
    }
  }

  const attest = (result: AttestedResult, disagreements: Disagreement[], logs: LogLine[], attestedAt: string) => (s: StateJson) =>
    ({ ...s, state: 'attested', result, disagreements, logs, attestedAt }) satisfies StateJson

  return {
    read: async (functionId: string, seq: bigint) => (await readWithSeq(functionId, seq)).state,

    recordResult(id: string, result: AttestedResult, disagreements: Disagreement[], logs: LogLine[] = []): Promise<void> {
      return update(id, attest(result, disagreements, logs, new Date().toISOString()))
    },

    /** A batch: every record written concurrently, each durable on its own (there is no multi-subject transaction). */
    async recordResults(items: { id: string; result: AttestedResult; disagreements: Disagreement[]; logs?: LogLine[] }[]): Promise<void> {
      const attestedAt = new Date().toISOString()
      await Promise.all(items.map((x) => update(x.id, attest(x.result, x.disagreements, x.logs ?? [], attestedAt))))
    },

    recordAbort(id: string, reason: 'watchdog'): Promise<void> {
      return update(id, (s) => (s.state === 'pending' ? { ...s, abort: reason } : undefined))
    },

    recordDispute(id: string, disagreements: Disagreement[]): Promise<void> {
      return update(id, (s) => ({ ...s, state: 'disputed', disagreements, attestedAt: new Date().toISOString() }))
    },

    setDisagreements(id: string, disagreements: Disagreement[]): Promise<void> {
      return update(id, (s) => ({ ...s, disagreements }))
    },
  }
}
