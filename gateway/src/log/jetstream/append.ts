// Appending invocations on JetStream: one log message per append (or per slice of a backfill),
// decided from the function's tail. The decision is the SQL log's: keys already in the log (or
// repeated in the list) answer the invocation holding them, new invocations take the seqs after
// the tail's last seq in list order, and a key reused with another body is a conflict before
// anything is written. A lost race decides again from the new tail.
import { randomUUID } from 'node:crypto'
import { IdempotencyConflictError, UnknownFunctionError } from '../../errors.ts'
import { sameRequestOrConflict, type Appended } from '../append-many.ts'
import type { AppendParameters, Invocation } from '../index.ts'
import type { Chain, Tail } from './chain.ts'
import type { Indexes } from './indexes.ts'
import { createGroupCommit, type Outcome } from './group-commit.ts'
import { retrying } from './retry.ts'
import { textOrNull, toInvocation, type Entry, type InvocationJson } from './records.ts'

/** A backfill is cut into messages of about this many bytes of input (a NATS message is at most 1 MB). */
const SLICE_BYTES = 256 * 1024

export function createAppender({
  chain,
  indexes,
  readInvocation,
}: {
  chain: Chain
  indexes: Indexes
  readInvocation: (functionId: string, seq: bigint) => Promise<Invocation | undefined>
}) {
  /** The invocation the log holds for `key`, if any. */
  async function lookup(functionId: string, key: string): Promise<Invocation | undefined> {
    const found = await indexes.byKey(functionId, key)
    if (!found) return undefined
    const invocation = await readInvocation(functionId, BigInt(found.seq))
    // The key's record is written with its invocation's, before the mark that lets anyone append.
    if (!invocation) throw new Error(`JetStream log: key record of "${functionId}" points at seq ${found.seq}, which is not indexed`)
    return invocation
  }

  /**
   * One message's worth of items: decided from the tail, published, indexed. One answer per item.
   * A key reused with another body fails the whole slice before anything is written, or, with
   * `isolate` (independent appends grouped into one message), only its own item.
   */
  async function appendSlice(items: AppendParameters[], isolate = false): Promise<Outcome[]> {
    const functionId = items[0]!.functionId
    const written = await chain.extend<Outcome[]>(functionId, async (tail: Tail | undefined) => {
      if (!tail) throw new UnknownFunctionError(`Unknown function "${functionId}".`)
      await indexes.ensure(functionId, tail)
      const { head } = tail.message
      const out: Outcome[] = []
      const entries: Entry[] = []
      const newByKey = new Map<string, Invocation>()
      const known = new Map<string, Invocation>()
      const keys = new Set(items.flatMap((p) => (p.idempotencyKey === undefined ? [] : [p.idempotencyKey])))
      await Promise.all(
        [...keys].map(async (key) => {
          const invocation = await lookup(functionId, key)
          if (invocation) known.set(key, invocation)
        }),
      )
      let seq = BigInt(head.lastSeq)
      for (const p of items) {
        const key = p.idempotencyKey
        const before = key === undefined ? undefined : (known.get(key) ?? newByKey.get(key))
        if (before) {
          try {
            out.push(sameRequestOrConflict(before, p))
          } catch (err) {
            if (!isolate) throw err
            out.push(err as Error)
          }
          continue
        }
        seq += 1n
        const entry: Entry = {
          id: randomUUID(),
          seq: String(seq),
          input: p.input,
          trigger: p.trigger,
          timestampMs: String(p.timestampMs ?? BigInt(Date.now())),
          chainId: textOrNull(p.chainId),
          blockNumber: textOrNull(p.blockNumber),
          idempotencyKey: key ?? null,
          requestHash: p.requestHash,
          createdAt: new Date().toISOString(),
        }
        entries.push(entry)
        const invocation = toInvocation({ ...entry, functionId, codeHash: head.codeHash } satisfies InvocationJson)
        out.push({ invocation, created: true })
        if (key !== undefined) newByKey.set(key, invocation)
      }
      if (entries.length === 0) return { answer: out }
      const versionsAt = tail.message.kind === 'deploy' ? tail.seq : head.versionsAt
      return { publish: { kind: 'append', head: { ...head, lastSeq: String(seq), versionsAt }, entries }, planned: out }
    })
    if ('answer' in written) return written.answer
    // Stored and counted: write its records before anyone is told (a reader by id finds it at once).
    await retrying(() => indexes.ensure(functionId, { ...written, lastOnSubject: written.seq }))
    return written.planned
  }

  const grouped = createGroupCommit((items) => appendSlice(items, true), SLICE_BYTES)

  return {
    /** Concurrent appends to one function from this process share one log message (group commit). */
    append: grouped.append,

    /**
     * A range of one function's invocations. Up to ~256 KB of input it is one message (all or
     * nothing, like the SQL transaction); a larger range is several messages in order, each all or
     * nothing, after a check that no key of the range conflicts.
     */
    async appendMany(items: AppendParameters[]): Promise<Appended[]> {
      if (items.length === 0) return []
      const functionId = items[0]!.functionId
      if (items.some((p) => p.functionId !== functionId)) throw new Error('appendMany: every item must be of the same function')
      const slices: AppendParameters[][] = [[]]
      let bytes = 0
      for (const p of items) {
        const size = p.input.length + 512
        if (bytes + size > SLICE_BYTES && slices.at(-1)!.length > 0) {
          slices.push([])
          bytes = 0
        }
        slices.at(-1)!.push(p)
        bytes += size
      }
      if (slices.length > 1) await precheck(functionId, items)
      const out: Appended[] = []
      const written = new Map<string, Invocation>()
      for (const slice of slices) {
        // A key first written by an earlier slice is answered from it (as the single-message path does).
        for (const a of (await appendSlice(slice)) as Appended[]) {
          const key = a.invocation.idempotencyKey
          if (key !== null && !a.created && written.has(key)) out.push({ invocation: written.get(key)!, created: false })
          else out.push(a)
          if (key !== null && a.created) written.set(key, a.invocation)
        }
      }
      return out
    },
  }

  /** Nothing of a multi-message range is written if one of its keys conflicts with the log or with itself. */
  async function precheck(functionId: string, items: AppendParameters[]) {
    const first = new Map<string, AppendParameters>()
    for (const p of items) {
      if (p.idempotencyKey === undefined) continue
      const seen = first.get(p.idempotencyKey)
      if (seen && seen.requestHash !== p.requestHash && !p.keyNamesRequest)
        throw new IdempotencyConflictError(`Idempotency-Key "${p.idempotencyKey}" was already used with a different request body.`)
      if (!seen) first.set(p.idempotencyKey, p)
    }
    await Promise.all(
      [...first].map(async ([key, p]) => {
        const invocation = await lookup(functionId, key)
        if (invocation) sameRequestOrConflict(invocation, p)
      }),
    )
  }
}
