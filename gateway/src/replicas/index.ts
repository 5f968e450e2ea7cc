// HTTP client of one replica (the runtime's `createReplicaApp`): push artifacts, execute one
// invocation, read a function's applied state. Errors are classified so the scheduler can decide
// between "retry later", "resend from seq", and "push the artifact first".
import type { Hex } from 'viem'
import { parseResultFields, type ResultFields } from '../../../framework/src/attest/index.ts'
import { postJson, type JsonResponse } from './post-json.ts'

export type ReplicaExecuteRequest = {
  functionId: string
  codeHash: string
  seq: bigint
  input: Hex
  trigger: string
  timestampMs: bigint
  chainId?: bigint
  blockNumber?: bigint
}

export type ReplicaExecuteResult = {
  fields: ResultFields
  digest: Hex
  output: Hex
  share?: { index: number; signature: Hex }
}

export type ExecuteOutcome =
  | { kind: 'ok'; result: ReplicaExecuteResult }
  | { kind: 'seq-gap'; expected: bigint }
  | { kind: 'unknown-code' }
  | { kind: 'unavailable'; reason: string }

export type BatchOutcome =
  | { kind: 'ok'; results: ReplicaExecuteResult[]; root: Hex; share?: { index: number; signature: Hex } }
  | { kind: 'seq-gap'; expected: bigint }
  | { kind: 'unknown-code' }
  | { kind: 'unavailable'; reason: string }

export type ReplicaClient = {
  index: number
  url: string
  execute(req: ReplicaExecuteRequest): Promise<ExecuteOutcome>
  /** Consecutive seqs of one function; the replica signs one share over the Merkle root of the digests. */
  executeBatch(reqs: ReplicaExecuteRequest[]): Promise<BatchOutcome>
  pushArtifact(manifest: Record<string, unknown>, componentBase64: string): Promise<void>
  state(functionId: string): Promise<{ lastAppliedSeq: bigint; stateRoot: Hex } | undefined>
  health(): Promise<boolean>
}

export type CreateReplicaClientParameters = {
  index: number
  url: string
  /** Per-request timeout in ms. Default: 10_000. */
  timeoutMs?: number
}

const requestJson = (req: ReplicaExecuteRequest) => ({
  functionId: req.functionId,
  codeHash: req.codeHash,
  seq: req.seq.toString(),
  input: req.input,
  trigger: req.trigger,
  timestampMs: req.timestampMs.toString(),
  ...(req.chainId === undefined ? {} : { chainId: req.chainId.toString() }),
  ...(req.blockNumber === undefined ? {} : { blockNumber: req.blockNumber.toString() }),
})

const parseResult = (body: any): ReplicaExecuteResult => ({
  fields: parseResultFields(body.fields),
  digest: String(body.digest).toLowerCase() as Hex,
  output: body.output as Hex,
})

const parseShare = (share: any) => (share && typeof share.signature === 'string' ? { index: Number(share.index), signature: share.signature as Hex } : undefined)

const reasonOf = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err))

/** @example const replica = createReplicaClient({ index: 1, url: 'http://127.0.0.1:7101' }) */
export function createReplicaClient({ index, url, timeoutMs = 10_000 }: CreateReplicaClientParameters): ReplicaClient {
  const base = url.replace(/\/$/, '')
  const post = (path: string, body: unknown, ms = timeoutMs) => postJson(`${base}${path}`, body, ms)

  /** POST an execute request and classify the answer: a 2xx JSON body, or what the scheduler does next. */
  async function call(path: string, body: unknown, ms: number): Promise<{ kind: 'body'; body: any } | Exclude<ExecuteOutcome, { kind: 'ok' }>> {
    let res: JsonResponse
    try {
      res = await post(path, body, ms)
    } catch (err) {
      return { kind: 'unavailable', reason: reasonOf(err) }
    }
    let json: any
    try {
      json = await res.json()
    } catch (err) {
      return { kind: 'unavailable', reason: `bad response (HTTP ${res.status}): ${reasonOf(err)}` }
    }
    const code = json?.error?.code
    if (res.status === 409 && code === 'SEQ_GAP') return { kind: 'seq-gap', expected: BigInt(json.error.expected) }
    if (res.status === 404 && code === 'UNKNOWN_CODE') return { kind: 'unknown-code' }
    if (!res.ok) return { kind: 'unavailable', reason: `HTTP ${res.status} ${code ?? ''} ${json?.error?.message ?? ''}`.trim() }
    return { kind: 'body', body: json }
  }

  return {
    index,
    url: base,
    async execute(req) {
      const answer = await call('/v1/execute', requestJson(req), timeoutMs)
      if (answer.kind !== 'body') return answer
      try {
        return { kind: 'ok', result: { ...parseResult(answer.body), share: parseShare(answer.body.share) } }
      } catch (err) {
        return { kind: 'unavailable', reason: `malformed execute response: ${reasonOf(err)}` }
      }
    },
    async executeBatch(reqs) {
      const answer = await call('/v1/execute-batch', { requests: reqs.map(requestJson) }, timeoutMs * 6)
      if (answer.kind !== 'body') return answer
      const body = answer.body
      try {
        if (!Array.isArray(body.results) || body.results.length !== reqs.length) throw new Error(`expected ${reqs.length} results`)
        return { kind: 'ok', results: body.results.map(parseResult), root: String(body.root).toLowerCase() as Hex, share: parseShare(body.share) }
      } catch (err) {
        return { kind: 'unavailable', reason: `malformed batch response: ${reasonOf(err)}` }
      }
    },
    async pushArtifact(manifest, componentBase64) {
      const res = await post('/v1/artifacts', { manifest, component: componentBase64 }, 120_000)
      if (!res.ok) throw new Error(`replica ${index}: artifact upload failed: HTTP ${res.status} ${await res.text()}`)
    },
    async state(functionId) {
      try {
        const res = await fetch(`${base}/v1/functions/${encodeURIComponent(functionId)}/state`, { signal: AbortSignal.timeout(timeoutMs) })
        if (!res.ok) {
          await res.body?.cancel().catch(() => {})
          return res.status === 404 ? { lastAppliedSeq: 0n, stateRoot: '0x' } : undefined
        }
        const body: any = await res.json()
        return { lastAppliedSeq: BigInt(body.lastAppliedSeq), stateRoot: body.stateRoot }
      } catch {
        return undefined
      }
    },
    async health() {
      try {
        const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2_000) })
        await res.body?.cancel().catch(() => {})
        return res.ok
      } catch {
        return false
      }
    },
  }
}
