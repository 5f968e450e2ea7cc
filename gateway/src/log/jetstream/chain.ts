// Per-function order on JetStream. Each function has one subject in the log stream; every deploy
// and every append is one message on it, published with Nats-Expected-Last-Subject-Sequence set to
// the subject's last message, so of several gateways racing to extend a function exactly one wins
// and the others read the new tail and try again (their seqs are computed from the tail, hence
// gap-free).
//
// The server's check is not taken on trust: nats-server 2.9 (the one installed here) can accept two
// publishes with the same expectation on a clustered stream (nats-server#4320), and a leader change
// forgets in-flight expectations. So each message also names the message it follows (`prev`), and
// the function's history is defined over what the stream stored, in stream order: a message
// belongs to it only if its `prev` is the message that belonged last. Every replica of the stream
// stores the same messages in the same order, so every reader derives the same history; a loser the
// server wrongly accepted is an orphan that no reader counts, and its appender, which checks before
// answering anyone, tries again.
import { randomUUID } from 'node:crypto'
import type { JetStreamClient, JetStreamManager, StoredMsg } from '@nats-io/jetstream'
import { decode, encode, isWrongLastSequence, type LogMessage } from './records.ts'
import { backoff, GIVE_UP_MS, isTransient } from './retry.ts'
import type { Subjects } from './subjects.ts'

/** The function's last message that counts, and the stream seq of the subject's last message (which may be an orphan). */
export type Tail = { seq: number; message: LogMessage; lastOnSubject: number }

export type Chain = ReturnType<typeof createChain>

/**
 * What a writer decides from the tail: a message to publish (with what it will answer if that
 * message is the one that counts), or an answer without writing.
 */
export type Decision<T> = { publish: Omit<LogMessage, 'nonce' | 'prev'>; planned: T } | { answer: T }

/** The message that counts, and what its decision planned to answer. */
export type Extended<T> = { seq: number; message: LogMessage; planned: T }

export type ChainParameters = {
  js: JetStreamClient
  jsm: JetStreamManager
  subjects: Subjects
  /** A message known to count, for a gateway that has not followed this function yet (the index's mark). */
  startHint: (functionId: string) => Promise<number | undefined>
}

export function createChain({ js, jsm, subjects, startHint }: ChainParameters) {
  const stream = subjects.streams.log
  /** Per function: a message known to belong to its history (where a walk may start). */
  const known = new Map<string, { seq: number; message: LogMessage }>()

  // STREAM.MSG.GET answers `next_by_subj` (first message on the subject at or after `seq`) from the
  // stream leader; the client's type lists it only for direct gets, which any replica may answer stale.
  type Query = Parameters<JetStreamManager['streams']['getMessage']>[1] | { seq: number; next_by_subj: string }
  const get = (query: Query): Promise<StoredMsg | null> => jsm.streams.getMessage(stream, query as Parameters<JetStreamManager['streams']['getMessage']>[1])

  /** Message with stream seq `seq` (a head's `versionsAt`). */
  async function at(seq: number): Promise<LogMessage | undefined> {
    const m = await get({ seq })
    return m ? decode<LogMessage>(m.data) : undefined
  }

  /**
   * Follow the function's subject in stream order from a message known to count (or from its
   * start), keeping each message whose `prev` is the last one kept. Stops at `until` when given
   * (the subject's last message when the walk began). `mine` is a kept message whose nonce
   * is in `nonces` (an appender whose ack was lost finds its own message this way).
   */
  async function walk(functionId: string, from: { seq: number; message: LogMessage } | undefined, until: number, nonces?: Map<string, unknown>) {
    const subject = subjects.log(functionId)
    let current = from
    let mine: { seq: number; message: LogMessage } | undefined
    for (let s = (from?.seq ?? 0) + 1; s <= until; ) {
      const m = await get({ seq: s, next_by_subj: subject })
      if (!m) break
      const message = decode<LogMessage>(m.data)
      if (message.prev === (current?.seq ?? 0)) {
        current = { seq: m.seq, message }
        if (nonces?.has(message.nonce)) mine = current
      }
      s = m.seq + 1
    }
    return { current, mine }
  }

  /**
   * Whether the stored message `seq` (following `prev`, which counts) counts: it does unless a
   * message stored between the two also follows `prev` (that one took the place first). Messages
   * between with another `prev` are orphans of earlier races and change nothing. 'unknown' when
   * the stream does not show `seq` yet (a leader that has not applied it).
   */
  async function counts(subject: string, prev: number, seq: number): Promise<'counts' | 'orphan' | 'unknown'> {
    for (let s = prev + 1; ; ) {
      const m = await get({ seq: s, next_by_subj: subject })
      if (!m || m.seq > seq) return 'unknown'
      if (m.seq === seq) return 'counts'
      if (decode<LogMessage>(m.data).prev === prev) return 'orphan'
      s = m.seq + 1
    }
  }

  /** The function's current tail, or undefined when it has no message (never deployed). */
  async function tail(functionId: string): Promise<Tail | undefined> {
    const subject = subjects.log(functionId)
    const last = await get({ last_by_subj: subject })
    if (!last) return undefined
    const cached = known.get(functionId)
    if (cached?.seq === last.seq) return { ...cached, lastOnSubject: last.seq }
    const message = decode<LogMessage>(last.data)
    // Start from the latest message known to count: this process's own, or (when another gateway
    // has appended since) the index's mark, which its appender wrote before answering.
    let start = cached?.seq ?? 0
    if (message.prev !== start) start = Math.max(start, (await startHint(functionId)) ?? 0)
    // The common case: the last message follows the start, and nothing lies between. One look proves it counts.
    if (message.prev === start) {
      const next = await get({ seq: start + 1, next_by_subj: subject })
      if (next?.seq === last.seq) return remember(functionId, last.seq, message, last.seq)
    }
    let from = cached
    if (start > 0 && start !== cached?.seq) {
      const startMessage = await at(start)
      if (startMessage) from = { seq: start, message: startMessage }
    }
    const { current } = await walk(functionId, from, last.seq)
    return current ? remember(functionId, current.seq, current.message, last.seq) : undefined
  }

  function remember(functionId: string, seq: number, message: LogMessage, lastOnSubject: number): Tail {
    const cached = known.get(functionId)
    if (!cached || cached.seq < seq) known.set(functionId, { seq, message })
    return { seq, message, lastOnSubject }
  }

  /**
   * Extend the function's history by one message decided from its tail, retrying on a lost race
   * (the decision is taken again from the new tail) and through server failures; resolves once the
   * stream has stored the message (a quorum of its replicas) and it is known to count. A decision
   * that throws a GatewayError (unknown function, conflicting key) ends it at once.
   */
  async function extend<T>(functionId: string, decide: (tail: Tail | undefined) => Promise<Decision<T>>): Promise<{ answer: T } | Extended<T>> {
    const subject = subjects.log(functionId)
    const deadline = Date.now() + GIVE_UP_MS
    // Publishes whose answer was lost: any of them may yet be stored, and then it is the append.
    const uncertain = new Map<string, T>()
    let uncertainFrom: Tail | undefined
    for (let attempt = 0; ; attempt++) {
      let sent: string | undefined
      try {
        const before = await tail(functionId)
        if (uncertain.size > 0 && before) {
          const { mine } = await walk(functionId, uncertainFrom, before.lastOnSubject, uncertain)
          if (mine) return { ...mine, planned: uncertain.get(mine.message.nonce)! }
        }
        const decision = await decide(before)
        if ('answer' in decision) return decision
        const message: LogMessage = { ...decision.publish, nonce: randomUUID(), prev: before?.seq ?? 0 }
        if (uncertain.size === 0) uncertainFrom = before
        uncertain.set(message.nonce, decision.planned)
        sent = message.nonce
        const ack = await js.publish(subject, encode(message), { expect: { lastSubjectSequence: before?.lastOnSubject ?? 0 } })
        const verdict = await counts(subject, message.prev, ack.seq)
        if (verdict === 'counts') return { ...remember(functionId, ack.seq, message, ack.seq), planned: decision.planned }
        if (verdict === 'orphan') uncertain.delete(message.nonce)
        // A new stream leader that has not applied our message yet answered: look again.
        else throw new Error('JetStream log: the stream leader has not applied an acknowledged message yet')
      } catch (err) {
        if (!isTransient(err) || Date.now() > deadline) throw err
        // Lost the race (refused: wrong last sequence): again at once. No answer (a server lost, a
        // leader being elected): back off; the message may be stored or not (kept in `uncertain`).
        if (isWrongLastSequence(err)) uncertain.delete(sent!)
        else await backoff(attempt)
      }
    }
  }

  return { tail, extend, at }
}
