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
import { decode, encode, type LogMessage } from './records.ts'
import type { Subjects } from './subjects.ts'

/** The function's last message that counts, and the stream seq of the subject's last message (which may be an orphan). */
export type Tail = { seq: number; message: LogMessage; lastOnSubject: number }

export type Chain = ReturnType<typeof createChain>

/** What a writer decides from the tail: a message to publish, or an answer without writing. */
export type Decision<T> = { publish: Omit<LogMessage, 'nonce' | 'prev'> } | { answer: T }

const WRONG_LAST_SEQUENCE = 10071
/** How long an append keeps trying through a lost server or a leader election before it fails. */
const GIVE_UP_MS = 30_000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

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
   * (the subject's last message when the walk began). `mine` is the kept message that
   * carries `nonce` (an appender whose ack was lost finds its own message this way).
   */
  async function walk(functionId: string, from: { seq: number; message: LogMessage } | undefined, until: number, nonce?: string) {
    const subject = subjects.log(functionId)
    let current = from
    let mine: { seq: number; message: LogMessage } | undefined
    for (let s = (from?.seq ?? 0) + 1; s <= until; ) {
      const m = await get({ seq: s, next_by_subj: subject })
      if (!m) break
      const message = decode<LogMessage>(m.data)
      if (message.prev === (current?.seq ?? 0)) {
        current = { seq: m.seq, message }
        if (nonce !== undefined && message.nonce === nonce) mine = current
      }
      s = m.seq + 1
    }
    return { current, mine }
  }

  /** The function's current tail, or undefined when it has no message (never deployed). */
  async function tail(functionId: string): Promise<Tail | undefined> {
    const subject = subjects.log(functionId)
    const last = await get({ last_by_subj: subject })
    if (!last) return undefined
    let from = known.get(functionId)
    if (from?.seq === last.seq) return { ...from, lastOnSubject: last.seq }
    const message = decode<LogMessage>(last.data)
    const start = from?.seq ?? (await startHint(functionId)) ?? 0
    // The common case (another gateway appended once since): the last message follows one known to
    // count, and nothing lies between the two. One look proves it counts.
    if (message.prev === start) {
      const next = await get({ seq: start + 1, next_by_subj: subject })
      if (next?.seq === last.seq) return remember(functionId, last.seq, message, last.seq)
    }
    if (!from && start > 0) {
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
   * stream has stored the message (a quorum of its replicas) and it is known to count.
   */
  async function extend<T>(
    functionId: string,
    decide: (tail: Tail | undefined) => Promise<Decision<T>>,
  ): Promise<{ answer: T } | { seq: number; message: LogMessage }> {
    const subject = subjects.log(functionId)
    const deadline = Date.now() + GIVE_UP_MS
    for (let attempt = 0; ; attempt++) {
      const before = await tail(functionId)
      const decision = await decide(before)
      if ('answer' in decision) return decision
      const message: LogMessage = { ...decision.publish, nonce: randomUUID(), prev: before?.seq ?? 0 }
      try {
        const ack = await js.publish(subject, encode(message), { expect: { lastSubjectSequence: before?.lastOnSubject ?? 0 } })
        // Accepted: it counts unless another message following the same tail was stored first.
        const first = await get({ seq: (before?.seq ?? 0) + 1, next_by_subj: subject })
        if (first?.seq === ack.seq) return remember(functionId, ack.seq, message, ack.seq)
      } catch (err) {
        if ((err as { code?: unknown }).code !== WRONG_LAST_SEQUENCE) {
          // No answer (a server lost, a leader being elected): the message may be stored or not.
          if (Date.now() > deadline) throw err
          await sleep(Math.min(1000, 50 * 2 ** attempt))
          const last = await get({ last_by_subj: subject }).catch(() => null)
          if (last) {
            const { mine } = await walk(functionId, before, last.seq, message.nonce).catch(() => ({ mine: undefined }))
            if (mine) return mine
          }
          continue
        }
      }
      if (Date.now() > deadline) throw new Error(`JetStream log: could not extend function "${functionId}" within ${GIVE_UP_MS} ms`)
    }
  }

  return { tail, extend, at }
}
