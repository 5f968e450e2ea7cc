// Replicas' shares on JetStream, the two halves of cluster mode's hand-off: replica i pulls the log,
// applies an invocation and publishes what its HTTP execute would have answered (the signed result
// fields, digest, output, share and log lines) on `share.<fn>.<seq>.<i>`; a gateway waits for it
// there instead of calling the replica. The share stream keeps the newest message per subject, so a
// gateway that starts, restarts or reconnects after a share was published still finds it. A replica
// that cannot apply a seq says why on the same subject (a watchdog that fired, a seq it applied with
// other input), so the gateway settles it through the log as it does for an HTTP refusal.
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream'
import type { NatsConnection, Subscription } from '@nats-io/transport-node'
import { executedResultJson, parseExecutedResult, type ExecutedResult, type ExecutedResultJson, type ReplicaResult } from '@nexus/protocol'
import { decode, encode } from './records.ts'
import { retrying } from './retry.ts'
import type { Subjects } from './subjects.ts'

/** Why a replica did not apply a seq: the codes its HTTP API answers for the same cases. */
export type ShareRefusal = { kind: 'refused'; code: 'WATCHDOG' | 'SEQ_MISMATCH'; message: string }

/** What travels on a share subject. */
export type ShareMessage = { kind: 'result'; result: ExecutedResultJson } | ShareRefusal

/** What a gateway reads from one: the result parsed as the HTTP client parses an execute answer. */
export type ShareAnswer = { kind: 'result'; result: ReplicaResult } | ShareRefusal

export type SharePublisher = {
  /** Publish replica `index`'s result for one seq; resolves once the share stream stored it. */
  result(functionId: string, seq: bigint, result: ExecutedResult): Promise<void>
  refusal(functionId: string, seq: bigint, code: ShareRefusal['code'], message: string): Promise<void>
  /** Tell the gateways this replica is up (they count a replica up while its heartbeats arrive). */
  alive(): void
}

/** Replica `index`'s publisher; its NATS user may publish only under `subjects.sharesBy(index)`. */
export function createSharePublisher({
  nc,
  js,
  subjects,
  index,
}: {
  nc: NatsConnection
  js: JetStreamClient
  subjects: Subjects
  index: number
}): SharePublisher {
  const publish = (functionId: string, seq: bigint, message: ShareMessage) =>
    retrying(async () => {
      await js.publish(subjects.share(functionId, seq, index), encode(message))
    })
  return {
    result: (functionId, seq, result) => publish(functionId, seq, { kind: 'result', result: executedResultJson(result) }),
    refusal: (functionId, seq, code, message) => publish(functionId, seq, { kind: 'refused', code, message }),
    alive: () => nc.publish(subjects.alive(index), encode({ at: Date.now() })),
  }
}

export type ShareInbox = {
  /** Replica `replica`'s answer for one seq, waiting up to `timeoutMs`; undefined when none came. */
  wait(functionId: string, seq: bigint, replica: number, timeoutMs: number): Promise<ShareAnswer | undefined>
  /** When replica `replica`'s last heartbeat or share arrived here (performance.now()), if ever. */
  lastSeen(replica: number): number | undefined
  close(): void
}

/** Shares kept in memory for waiters that ask after they arrived (the stream has the rest). */
const CACHE_LIMIT = 65_536

/** A malformed share is no share: the gateway counts the replica as not answering that seq. */
function parseShareMessage(data: Uint8Array): ShareAnswer | undefined {
  try {
    const m = decode<ShareMessage>(data)
    if (m.kind === 'refused' && (m.code === 'WATCHDOG' || m.code === 'SEQ_MISMATCH')) return { kind: 'refused', code: m.code, message: String(m.message) }
    if (m.kind === 'result') return { kind: 'result', result: parseExecutedResult(m.result) }
  } catch {}
  return undefined
}

/** A gateway's view of every replica's shares: one subscription, and the stream for what it missed. */
export function createShareInbox({ nc, jsm, subjects }: { nc: NatsConnection; jsm: JetStreamManager; subjects: Subjects }): ShareInbox {
  const cache = new Map<string, ShareAnswer>()
  const waiters = new Map<string, Set<(answer: ShareAnswer) => void>>()
  const seen = new Map<number, number>()
  const replicaOf = (subject: string) => Number(subject.slice(subject.lastIndexOf('.') + 1))

  const deliver = (subject: string, answer: ShareAnswer) => {
    cache.set(subject, answer)
    if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!)
    for (const resolve of waiters.get(subject) ?? []) resolve(answer)
    waiters.delete(subject)
  }

  const sub: Subscription = nc.subscribe(subjects.shareAll, {
    callback: (err, msg) => {
      if (err) return
      const replica = replicaOf(msg.subject)
      if (Number.isSafeInteger(replica)) seen.set(replica, performance.now())
      if (msg.subject === subjects.alive(replica)) return
      const answer = parseShareMessage(msg.data)
      if (answer) deliver(msg.subject, answer)
    },
  })

  return {
    async wait(functionId, seq, replica, timeoutMs) {
      const subject = subjects.share(functionId, seq, replica)
      const cached = cache.get(subject)
      if (cached) return cached
      return new Promise<ShareAnswer | undefined>((resolve) => {
        const set = waiters.get(subject) ?? new Set()
        waiters.set(subject, set)
        const done = (answer: ShareAnswer | undefined) => {
          clearTimeout(timer)
          set.delete(done as (a: ShareAnswer) => void)
          if (set.size === 0 && waiters.get(subject) === set) waiters.delete(subject)
          resolve(answer)
        }
        const timer = setTimeout(() => done(undefined), timeoutMs)
        set.add(done as (a: ShareAnswer) => void)
        // Published before this wait began (or before this gateway subscribed): the stream has it.
        jsm.streams
          .getMessage(subjects.streams.shares, { last_by_subj: subject })
          .then((m) => {
            const answer = m ? parseShareMessage(m.data) : undefined
            if (answer) {
              cache.set(subject, answer)
              done(answer)
            }
          })
          .catch(() => {}) // a lost server: the subscription or the next wait finds it
      })
    },
    lastSeen: (replica) => seen.get(replica),
    close: () => sub.unsubscribe(),
  }
}
