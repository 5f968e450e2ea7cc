// The records derived from the log: each invocation by (function, seq), where an invocation id
// is, and which invocation holds an idempotency key. They are written after the log message that
// holds them, by its appender and by any writer that finds them missing, and they are what makes
// idempotency keys last forever (JetStream's own Nats-Msg-Id dedupe forgets after its window).
//
// The invariant: before anyone extends a function's history, every message of it up to the tail is
// indexed. An appender indexes the tail it extends (usually already done, by its own appender), then
// looks its keys up, then publishes conditionally on that tail. So when the publish counts, no
// message before it holds those keys, and a key is written to the log at most once. The `done`
// mark (the last message indexed) is written after the records: it never claims more than is there.
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream'
import type { Tail } from './chain.ts'
import { decode, encode, type InvocationJson } from './records.ts'
import type { Subjects } from './subjects.ts'

export type Located = { functionId: string; seq: string }
export type KeyRecord = { key: string; id: string; seq: string }
export type Indexes = ReturnType<typeof createIndexes>

/** `readOnly`: never write records (a replica's login may not); `ensure` then leaves an unindexed tail to a gateway. */
export function createIndexes({ js, jsm, subjects, readOnly = false }: { js: JetStreamClient; jsm: JetStreamManager; subjects: Subjects; readOnly?: boolean }) {
  const stream = subjects.streams.index
  /** Per function: the last log message this process knows is indexed. */
  const indexedUpTo = new Map<string, number>()

  async function read<T>(subject: string): Promise<T | undefined> {
    const m = await jsm.streams.getMessage(stream, { last_by_subj: subject })
    return m ? decode<T>(m.data) : undefined
  }

  /** The last message of the function known to be indexed (also a message known to count). */
  async function mark(functionId: string): Promise<number | undefined> {
    const remote = (await read<{ seq: number }>(subjects.indexed(functionId)))?.seq
    return Math.max(remote ?? 0, indexedUpTo.get(functionId) ?? 0) || undefined
  }

  const note = (functionId: string, seq: number) => {
    if ((indexedUpTo.get(functionId) ?? 0) < seq) indexedUpTo.set(functionId, seq)
  }

  /** Make sure the records of `tail` (the function's last message that counts) are written. */
  async function ensure(functionId: string, tail: Tail | undefined): Promise<void> {
    if (readOnly || !tail || (indexedUpTo.get(functionId) ?? 0) >= tail.seq) return
    if (((await read<{ seq: number }>(subjects.indexed(functionId)))?.seq ?? 0) >= tail.seq) return note(functionId, tail.seq)
    const { message } = tail
    const writes: Promise<unknown>[] = []
    for (const entry of message.entries ?? []) {
      const inv: InvocationJson = { ...entry, functionId, codeHash: message.head.codeHash }
      writes.push(js.publish(subjects.invocation(functionId, BigInt(entry.seq)), encode(inv)))
      writes.push(js.publish(subjects.id(entry.id), encode({ functionId, seq: entry.seq } satisfies Located)))
      if (entry.idempotencyKey !== null)
        writes.push(
          js.publish(subjects.key(functionId, entry.idempotencyKey), encode({ key: entry.idempotencyKey, id: entry.id, seq: entry.seq } satisfies KeyRecord)),
        )
    }
    await Promise.all(writes)
    await js.publish(subjects.indexed(functionId), encode({ seq: tail.seq }))
    note(functionId, tail.seq)
  }

  async function invocation(functionId: string, seq: bigint): Promise<InvocationJson | undefined> {
    return read<InvocationJson>(subjects.invocation(functionId, seq))
  }

  /** The invocation holding `key` in the function, if any (long keys share a subject only by sha256: compare). */
  async function byKey(functionId: string, key: string): Promise<KeyRecord | undefined> {
    const found = await read<KeyRecord>(subjects.key(functionId, key))
    return found?.key === key ? found : undefined
  }

  const locate = (id: string) => read<Located>(subjects.id(id))

  return { mark, ensure, invocation, byKey, locate }
}
