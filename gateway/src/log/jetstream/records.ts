// What the JetStream log's messages hold, and the conversions to the rows the SQL log answers. Every
// int8 value travels as a decimal string (JSON numbers stop being exact at 2^53) and every time as
// an ISO string, so what comes back is exactly what went in.
import type { Disagreement } from '../../database/index.ts'
import type { LogLine } from '@nexus/protocol'
import type { AttestedResult } from '@nexus/protocol/attest'
import type { FunctionRecord, Invocation } from '../index.ts'

/** The function as it stands after a log message: carried by every message, so the last one tells all. */
export type Head = {
  codeHash: string
  lastSeq: string
  owner: string | null
  createdAt: string
  updatedAt: string
  /** Stream seq of the latest deploy message (0: this message is that deploy). */
  versionsAt: number
}

export type VersionJson = { codeHash: string; fromSeq: string; createdAt: string }

/** One appended invocation; its function and code hash are the message's. */
export type Entry = {
  id: string
  seq: string
  input: `0x${string}`
  trigger: string
  timestampMs: string
  chainId: string | null
  blockNumber: string | null
  idempotencyKey: string | null
  requestHash: string
  createdAt: string
}

export type LogMessage = {
  kind: 'deploy' | 'append'
  /** Unique per attempt: an appender that lost its ack recognises its own message. */
  nonce: string
  /** Stream seq of the message this one follows on its subject (0 for the first). See chain.ts. */
  prev: number
  head: Head
  versions?: VersionJson[]
  entries?: Entry[]
}

/** An invocation's immutable part, as the index keeps it per seq. */
export type InvocationJson = Entry & { functionId: string; codeHash: string }

/** What happened to an invocation after it was appended (the mutable columns of the SQL row). */
export type StateJson = {
  state: Invocation['state']
  result: AttestedResult | null
  disagreements: Disagreement[]
  abort: Invocation['abort']
  logs: LogLine[]
  attestedAt: string | null
}

export const PENDING: StateJson = { state: 'pending', result: null, disagreements: [], abort: null, logs: [], attestedAt: null }

const bigOrNull = (s: string | null): bigint | null => (s === null ? null : BigInt(s))
export const textOrNull = (v: bigint | undefined | null): string | null => (v === undefined || v === null ? null : String(v))

/** JetStream refused a publish whose expected last (subject) sequence was not the stream's: a lost race. */
export const isWrongLastSequence = (err: unknown): boolean => (err as { code?: unknown }).code === 10071

export const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value))
export const decode = <T>(data: Uint8Array): T => JSON.parse(new TextDecoder().decode(data)) as T

/** The row shape the SQL log answers, from the index record and the latest state record. */
export function toInvocation(inv: InvocationJson, state: StateJson = PENDING): Invocation {
  return {
    id: inv.id,
    functionId: inv.functionId,
    seq: BigInt(inv.seq),
    codeHash: inv.codeHash,
    input: inv.input,
    trigger: inv.trigger,
    timestampMs: BigInt(inv.timestampMs),
    chainId: bigOrNull(inv.chainId),
    blockNumber: bigOrNull(inv.blockNumber),
    idempotencyKey: inv.idempotencyKey,
    requestHash: inv.requestHash,
    state: state.state,
    result: state.result,
    disagreements: state.disagreements,
    abort: state.abort,
    logs: state.logs,
    attestedAt: state.attestedAt === null ? null : new Date(state.attestedAt),
    createdAt: new Date(inv.createdAt),
  }
}

export function toFunction(functionId: string, head: Head): FunctionRecord {
  return {
    id: functionId,
    codeHash: head.codeHash,
    lastSeq: BigInt(head.lastSeq),
    owner: head.owner,
    createdAt: new Date(head.createdAt),
    updatedAt: new Date(head.updatedAt),
  }
}
