// HTTP client of one replica (the runtime's `createReplicaApp`): push artifacts and versions,
// execute one invocation, read a function's applied state. Every request but /health is signed
// with the gateway key (runtime/src/replica/gateway-auth.ts). Errors are classified so the
// scheduler can decide between "retry later", "resend from seq", "push the artifact (or the
// function's versions) first", and "this replica diverged from the log".
import type { Hex } from 'viem'
import { parseResultFields, type ResultFields } from '@nexus/protocol/attest'
import type { ErrorBody } from '@nexus/protocol'
import {
  executeRequestJson,
  parseExecutedBatch,
  parseExecutedResult,
  versionsJson,
  type FunctionVersion,
  type LoggedExecuteRequest,
  type ReplicaResult,
} from '@nexus/protocol'
import { postJson, type JsonResponse, type SignRequest } from './post-json.ts'
import { executeBatchBody } from './batch-body.ts'
import { signRequest } from '@nexus/runtime'

// The request and answer shapes, and their JSON, are the replica API's (protocol/src/replica-wire.ts).
export type ReplicaExecuteRequest = LoggedExecuteRequest
export type ReplicaExecuteResult = ReplicaResult
export type { FunctionVersion }

/** Why a replica did not answer an execute with a result. */
export type ExecuteRefusal =
  | { kind: 'seq-gap'; expected: bigint }
  | { kind: 'unknown-code' }
  /** The replica does not have the function's version for this seq: push the versions. */
  | { kind: 'unbound'; reason: string }
  /** The replica applied this seq with another input or code than the log's (SEQ_MISMATCH). */
  | { kind: 'diverged'; reason: string }
  | { kind: 'unavailable'; reason: string }
  /** The replica's wall-clock watchdog fired on a seq (nothing recorded): the log must abort it. */
  | { kind: 'watchdog' }

export type ExecuteOutcome = { kind: 'ok'; result: ReplicaExecuteResult } | ExecuteRefusal

export type BatchOutcome = { kind: 'ok'; results: ReplicaExecuteResult[]; root: Hex; share?: { index: number; signature: Hex } } | ExecuteRefusal

export type ReplicaClient = {
  index: number
  url: string
  execute(req: ReplicaExecuteRequest): Promise<ExecuteOutcome>
  /** Consecutive seqs of one function; the replica signs one share over the Merkle root of the digests. */
  executeBatch(reqs: ReplicaExecuteRequest[]): Promise<BatchOutcome>
  pushArtifact(manifest: Record<string, unknown>, componentBase64: string): Promise<void>
  /** Tell the replica which code the function runs from which seq. Throws when it refuses. */
  pushVersions(functionId: string, versions: FunctionVersion[]): Promise<void>
  /** Make the replica forget a function (repair after a divergence). Throws when it refuses. */
  resetFunction(functionId: string): Promise<void>
  state(functionId: string): Promise<{ lastAppliedSeq: bigint; stateRoot: Hex } | undefined>
  health(): Promise<boolean>
}

export type CreateReplicaClientParameters = {
  index: number
  url: string
  /** Per-request timeout in ms. Default: 10_000. */
  timeoutMs?: number
  /** The secret the replicas authenticate this gateway by (runtime/src/replica/gateway-auth.ts). */
  gatewayKey: Uint8Array
}

const reasonOf = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err))

/** @example const replica = createReplicaClient({ index: 1, url: 'http://127.0.0.1:7101', gatewayKey }) */
export function createReplicaClient({ index, url, timeoutMs = 10_000, gatewayKey }: CreateReplicaClientParameters): ReplicaClient {
  const base = url.replace(/\/$/, '')
  // The replica checks the path as it receives it: the base URL's own path (if any) is part of it.
  const prefix = new URL(base).pathname.replace(/\/$/, '')
  const signer =
    (path: string): SignRequest =>
    (method, payload) =>
      signRequest(gatewayKey, method, `${prefix}${path}`, payload)
  const post = (path: string, body: unknown, ms = timeoutMs, method = 'POST') => postJson(`${base}${path}`, body, ms, signer(path), method)
  const get = (path: string, ms = timeoutMs) => postJson(`${base}${path}`, undefined, ms, signer(path), 'GET')
  const refused = async (what: string, res: JsonResponse) => new Error(`replica ${index}: ${what} failed: HTTP ${res.status} ${await res.text()}`)

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
    // The replica answers errors in the one shape of every Nexus API (framework/src/errors/http.ts).
    const error = res.ok ? undefined : (json as Partial<ErrorBody> | null)?.error
    const code = error?.code
    if (res.status === 409 && code === 'SEQ_GAP') return { kind: 'seq-gap', expected: BigInt(error!.expected!) }
    if (res.status === 404 && code === 'UNKNOWN_CODE') return { kind: 'unknown-code' }
    if (res.status === 409 && code === 'CODE_NOT_BOUND') return { kind: 'unbound', reason: String(error!.message) }
    if (res.status === 409 && code === 'SEQ_MISMATCH') return { kind: 'diverged', reason: String(error!.message) }
    if (code === 'WATCHDOG') return { kind: 'watchdog' }
    if (!res.ok) return { kind: 'unavailable', reason: `HTTP ${res.status} ${code ?? ''} ${error?.message ?? ''}`.trim() }
    return { kind: 'body', body: json }
  }

  return {
    index,
    url: base,
    async execute(req) {
      const answer = await call('/v1/execute', executeRequestJson(req), timeoutMs)
      if (answer.kind !== 'body') return answer
      try {
        return { kind: 'ok', result: parseExecutedResult(answer.body) }
      } catch (err) {
        return { kind: 'unavailable', reason: `malformed execute response: ${reasonOf(err)}` }
      }
    },
    async executeBatch(reqs) {
      const answer = await call('/v1/execute-batch', executeBatchBody(reqs), timeoutMs * 6)
      if (answer.kind !== 'body') return answer
      try {
        return { kind: 'ok', ...parseExecutedBatch(answer.body, reqs.length) }
      } catch (err) {
        return { kind: 'unavailable', reason: `malformed batch response: ${reasonOf(err)}` }
      }
    },
    async pushArtifact(manifest, componentBase64) {
      const res = await post('/v1/artifacts', { manifest, component: componentBase64 }, 120_000)
      if (!res.ok) throw await refused('artifact upload', res)
    },
    async pushVersions(functionId, versions) {
      const body = { versions: versionsJson(versions) }
      const res = await post(`/v1/functions/${encodeURIComponent(functionId)}/versions`, body, timeoutMs, 'PUT')
      if (!res.ok) throw await refused('version push', res)
    },
    async resetFunction(functionId) {
      const res = await post(`/v1/functions/${encodeURIComponent(functionId)}/reset`, {}, 60_000)
      if (!res.ok) throw await refused('reset', res)
    },
    async state(functionId) {
      try {
        const res = await get(`/v1/functions/${encodeURIComponent(functionId)}/state`)
        if (!res.ok) return res.status === 404 ? { lastAppliedSeq: 0n, stateRoot: '0x' } : undefined
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
