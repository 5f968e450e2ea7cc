// The replica API's JSON: what a gateway sends a replica and what the replica answers, encoded and
// decoded on both sides of the HTTP hop by these functions only, so the two sides cannot drift.
// Bigints travel as decimal strings, bytes as 0x-hex. The replica parses strictly (a bad field is a
// BadRequestError naming it: its 400); the gateway parses the answer's signed fields strictly too, since
// it must not attest anything it cannot digest itself.
import type { Hex } from 'viem'
import { bytesHex } from './hex.ts'
import type { ResultFields } from './attest/digest.ts'
import { parseResultFields } from './attest/result.ts'
import { BadRequestError } from './errors/bad-request.ts'

/** One invocation for a replica, as the replica runs it. */
export type ExecuteRequest = {
  functionId: string
  codeHash: Hex
  seq: bigint
  input: Uint8Array
  trigger: string
  timestampMs: bigint
  chainId?: bigint
  blockNumber?: bigint
  /** The log aborted this invocation after a watchdog: record the fixed abort result without running it (runtime/src/replica/watchdog-abort.ts). */
  abort?: 'watchdog'
}

/** The same request as the gateway's log holds it (input and code hash as 0x-hex text); it encodes to the same JSON. */
export type LoggedExecuteRequest = Omit<ExecuteRequest, 'codeHash' | 'input'> & { codeHash: string; input: Hex }

export type ExecuteRequestJson = {
  functionId: string
  codeHash: Hex
  seq: string
  input: Hex
  trigger: string
  timestampMs: string
  chainId?: string
  blockNumber?: string
  /** Set by the gateway once the log records that this invocation is aborted (see ExecuteRequest.abort). */
  abort?: 'watchdog'
}

/** A replica's signature share over a digest (or a batch root). */
export type ResultShare = { index: number; signature: Hex }

/** One line a handler logged while it ran. */
export type LogLine = { level: string; message: string }

/** One executed invocation on the replica: output as bytes, with the logs of the run (none when answered from the record). */
export type ExecutedResult = {
  fields: ResultFields
  digest: Hex
  output: Uint8Array
  share?: ResultShare
  logs: LogLine[]
}

/** Consecutive seqs of one function: one share over the Merkle root of their digests. */
export type ExecutedBatch = {
  results: Omit<ExecutedResult, 'share'>[]
  root: Hex
  share?: ResultShare
}

type FieldsJson = Omit<ResultFields, 'chainId' | 'seq' | 'fuelUsed'> & { chainId: string; seq: string; fuelUsed: string }
export type ExecutedResultJson = { fields: FieldsJson; digest: Hex; output: Hex; share?: ResultShare; logs: LogLine[] }
export type ExecutedBatchJson = { results: ExecutedResultJson[]; root: Hex; share?: ResultShare }

/**
 * A replica's answer as the gateway checks it: the signed fields parsed, the output kept as 0x-hex
 * (it is stored and served so), and the handler's log lines (not signed; empty when answered from the record).
 */
export type ReplicaResult = { fields: ResultFields; digest: Hex; output: Hex; share?: ResultShare; logs: LogLine[] }

/** Which code a function runs from which seq (the gateway log's `nexus_function_versions`). */
export type FunctionVersion = { fromSeq: bigint; codeHash: string }
export type FunctionVersionJson = { fromSeq: string; codeHash: string }

const hexRe = /^0x([0-9a-fA-F]{2})*$/
const intRe = /^\d{1,20}$/
const codeHashRe = /^0x[0-9a-f]{64}$/
/** Most versions one push may carry. */
const MAX_VERSIONS = 10_000

// Buffer's hex decoder is native: inputs up to the 8 MiB body limit cross here on every execute.
const hexToBytes = (hex: string) => new Uint8Array(Buffer.from(hex.slice(2), 'hex'))

export function executeRequestJson(r: ExecuteRequest | LoggedExecuteRequest): ExecuteRequestJson {
  return {
    functionId: r.functionId,
    codeHash: r.codeHash as Hex,
    seq: r.seq.toString(),
    input: typeof r.input === 'string' ? r.input : bytesHex(r.input),
    trigger: r.trigger,
    timestampMs: r.timestampMs.toString(),
    ...(r.chainId === undefined ? {} : { chainId: r.chainId.toString() }),
    ...(r.blockNumber === undefined ? {} : { blockNumber: r.blockNumber.toString() }),
    ...(r.abort === undefined ? {} : { abort: r.abort }),
  }
}

/** The replica's strict parse of one request; a BadRequestError (`invalid field seq`, the replica's 400) on anything else. */
export function parseExecuteRequest(body: unknown): ExecuteRequest {
  const b = body as Partial<ExecuteRequestJson> | null
  const bad = (field: string) => {
    throw new BadRequestError(`invalid field ${field}`)
  }
  if (!b || typeof b !== 'object') bad('body')
  if (typeof b!.functionId !== 'string' || !b!.functionId) bad('functionId')
  if (typeof b!.codeHash !== 'string' || !codeHashRe.test(b!.codeHash)) bad('codeHash')
  if (typeof b!.seq !== 'string' || !intRe.test(b!.seq) || b!.seq === '0') bad('seq')
  if (typeof b!.input !== 'string' || !hexRe.test(b!.input)) bad('input')
  if (typeof b!.trigger !== 'string') bad('trigger')
  if (typeof b!.timestampMs !== 'string' || !intRe.test(b!.timestampMs)) bad('timestampMs')
  for (const f of ['chainId', 'blockNumber'] as const) if (b![f] !== undefined && !intRe.test(String(b![f]))) bad(f)
  if (b!.abort !== undefined && b!.abort !== 'watchdog') bad('abort')
  return {
    functionId: b!.functionId!,
    codeHash: b!.codeHash as Hex,
    seq: BigInt(b!.seq!),
    input: hexToBytes(b!.input!),
    trigger: b!.trigger!,
    timestampMs: BigInt(b!.timestampMs!),
    chainId: b!.chainId === undefined ? undefined : BigInt(b!.chainId),
    blockNumber: b!.blockNumber === undefined ? undefined : BigInt(b!.blockNumber),
    ...(b!.abort === undefined ? {} : { abort: b!.abort }),
  }
}

export function executeBatchRequestJson(requests: (ExecuteRequest | LoggedExecuteRequest)[]): { requests: ExecuteRequestJson[] } {
  return { requests: requests.map(executeRequestJson) }
}

/** `{ requests: ExecuteRequestJson[] }` → requests (order and contiguity are checked by the replica). */
export function parseExecuteBatchRequest(body: unknown): ExecuteRequest[] {
  const requests = (body as { requests?: unknown } | null)?.requests
  if (!Array.isArray(requests)) throw new BadRequestError('invalid field requests')
  return requests.map(parseExecuteRequest)
}

export function executedResultJson(r: Omit<ExecutedResult, 'share'> & { share?: ResultShare }): ExecutedResultJson {
  const f = r.fields
  return {
    fields: { ...f, chainId: f.chainId.toString(), seq: f.seq.toString(), fuelUsed: f.fuelUsed.toString() },
    digest: r.digest,
    output: bytesHex(r.output),
    share: r.share,
    logs: r.logs,
  }
}

export function executedBatchJson(b: ExecutedBatch): ExecutedBatchJson {
  return { results: b.results.map((r) => executedResultJson(r)), root: b.root, share: b.share }
}

const parseShare = (share: any): ResultShare | undefined =>
  share && typeof share.signature === 'string' ? { index: Number(share.index), signature: share.signature as Hex } : undefined

// Log lines are not signed, so a malformed list does not make the answer invalid: it is dropped.
// A replica bounds them (100 lines and 16 KiB, plus a final truncation line); a replica sending more is cut here too.
const isLogLine = (l: unknown): l is LogLine =>
  typeof l === 'object' && l !== null && typeof (l as LogLine).level === 'string' && typeof (l as LogLine).message === 'string'
const parseLogs = (logs: unknown): LogLine[] => {
  if (!Array.isArray(logs)) return []
  const lines: unknown[] = logs.slice(0, 101)
  if (!lines.every(isLogLine)) return []
  return lines.map((l) => ({ level: l.level.slice(0, 16), message: l.message.slice(0, 4097) }))
}

const parseResultBody = (body: any): Omit<ReplicaResult, 'share'> => ({
  fields: parseResultFields(body.fields),
  digest: String(body.digest).toLowerCase() as Hex,
  output: body.output as Hex,
  logs: parseLogs(body.logs),
})

/** The gateway's parse of an execute answer; throws (MalformedResultError, TypeError) on a malformed one. */
export function parseExecutedResult(body: any): ReplicaResult {
  return { ...parseResultBody(body), share: parseShare(body.share) }
}

/** The gateway's parse of an execute-batch answer for `count` requests; throws on a malformed one. */
export function parseExecutedBatch(body: any, count: number): { results: ReplicaResult[]; root: Hex; share?: ResultShare } {
  if (!Array.isArray(body.results) || body.results.length !== count) throw new Error(`expected ${count} results`)
  return { results: body.results.map(parseResultBody), root: String(body.root).toLowerCase() as Hex, share: parseShare(body.share) }
}

export function versionsJson(versions: FunctionVersion[]): FunctionVersionJson[] {
  return versions.map((v) => ({ fromSeq: v.fromSeq.toString(), codeHash: v.codeHash }))
}

/** `{ versions: [{ fromSeq, codeHash }] }` → versions; BadRequestError (the replica's 400) on anything else. */
export function parseVersions(body: unknown): FunctionVersion[] {
  const versions = (body as { versions?: unknown } | null)?.versions
  if (!Array.isArray(versions) || versions.length === 0 || versions.length > MAX_VERSIONS) throw new BadRequestError('invalid field versions')
  return versions.map((v: { fromSeq?: unknown; codeHash?: unknown } | null) => {
    if (typeof v?.fromSeq !== 'string' || !intRe.test(v.fromSeq) || v.fromSeq === '0') throw new BadRequestError('invalid field fromSeq')
    if (typeof v.codeHash !== 'string' || !codeHashRe.test(v.codeHash)) throw new BadRequestError('invalid field codeHash')
    return { fromSeq: BigInt(v.fromSeq), codeHash: v.codeHash }
  })
}
