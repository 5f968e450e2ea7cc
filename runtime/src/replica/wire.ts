// JSON encodings of replica requests and results: bigints as decimal strings, bytes as 0x-hex.
import { toHex, type Hex } from 'viem'
import type { ExecuteRequest, ExecutedBatch, ExecutedResult } from './replica.ts'
import { BadRequestError } from './errors.ts'

export type ExecuteRequestJson = {
  functionId: string; codeHash: Hex; seq: string; input: Hex; trigger: string; timestampMs: string
  chainId?: string; blockNumber?: string
  /** Set by the gateway once the log records that this invocation is aborted (see ExecuteRequest.abort). */
  abort?: 'watchdog'
}

const hexRe = /^0x([0-9a-fA-F]{2})*$/
const intRe = /^\d{1,20}$/

export function parseExecuteRequest(body: unknown): ExecuteRequest {
  const b = body as Partial<ExecuteRequestJson> | null
  const bad = (field: string) => { throw new BadRequestError(`invalid field ${field}`) }
  if (!b || typeof b !== 'object') bad('body')
  if (typeof b!.functionId !== 'string' || !b!.functionId) bad('functionId')
  if (typeof b!.codeHash !== 'string' || !/^0x[0-9a-f]{64}$/.test(b!.codeHash)) bad('codeHash')
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
    input: new Uint8Array(Buffer.from(b!.input!.slice(2), 'hex')),
    trigger: b!.trigger!,
    timestampMs: BigInt(b!.timestampMs!),
    chainId: b!.chainId === undefined ? undefined : BigInt(b!.chainId),
    blockNumber: b!.blockNumber === undefined ? undefined : BigInt(b!.blockNumber),
    ...(b!.abort === undefined ? {} : { abort: b!.abort }),
  }
}

export function executeRequestJson(r: ExecuteRequest): ExecuteRequestJson {
  return {
    functionId: r.functionId, codeHash: r.codeHash, seq: r.seq.toString(), input: toHex(r.input), trigger: r.trigger,
    timestampMs: r.timestampMs.toString(),
    ...(r.chainId === undefined ? {} : { chainId: r.chainId.toString() }),
    ...(r.blockNumber === undefined ? {} : { blockNumber: r.blockNumber.toString() }),
    ...(r.abort === undefined ? {} : { abort: r.abort }),
  }
}

export function executedResultJson(r: ExecutedResult) {
  const f = r.fields
  return {
    fields: { ...f, chainId: f.chainId.toString(), seq: f.seq.toString(), fuelUsed: f.fuelUsed.toString() },
    digest: r.digest,
    output: toHex(r.output),
    share: r.share,
    logs: r.logs,
  }
}

/** `{ requests: ExecuteRequestJson[] }` → requests (order and contiguity are checked by the replica). */
export function parseExecuteBatchRequest(body: unknown): ExecuteRequest[] {
  const requests = (body as { requests?: unknown } | null)?.requests
  if (!Array.isArray(requests)) throw new BadRequestError('invalid field requests')
  return requests.map(parseExecuteRequest)
}

export function executedBatchJson(b: ExecutedBatch) {
  return { results: b.results.map((r) => executedResultJson(r)), root: b.root, share: b.share }
}
