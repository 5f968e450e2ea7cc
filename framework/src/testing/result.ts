// What a test sees of one invocation: the replica's result (the same fields, digest and output a
// deployed replica signs) with the status by name and the output as text or JSON.
import { statusName, type ExecuteRequest, type ExecutedResult, type LogLine, type StatusName } from '@nexus/protocol'
import type { ResultFields } from '@nexus/protocol/attest'
import type { Hex } from 'viem'

export type TestResult = {
  functionId: string
  /** This invocation's place in the function's log (1, 2, …), as `ctx.env.invocation.seq`. */
  seq: bigint
  trigger: string
  /** `ok`, `handler_error`, `out_of_fuel` or `out_of_memory`. */
  status: StatusName
  /** The output bytes (the handler's return value; the error message when it threw). */
  output: Uint8Array
  /** What the handler logged, in order. */
  logs: LogLine[]
  fuelUsed: bigint
  /** The fields the replicas sign and their digest: equal to a deployed replica's for the same invocation, chain id and verifier. */
  fields: ResultFields
  digest: Hex
  /** The invocation's input bytes, as the gateway would log them. */
  input: Uint8Array
  /** The request a gateway would send a replica for this invocation (replay it on another replica to compare). */
  request: ExecuteRequest
  /** The output as UTF-8 text. */
  text(): string
  /** The output parsed as JSON. */
  json<T = unknown>(): T
}

export function testResult(executed: ExecutedResult, request: ExecuteRequest): TestResult {
  const { functionId, trigger, input } = request
  const output = executed.output
  return {
    functionId,
    seq: executed.fields.seq,
    trigger,
    status: statusName(executed.fields.status) ?? 'handler_error',
    output,
    logs: executed.logs,
    fuelUsed: executed.fields.fuelUsed,
    fields: executed.fields,
    digest: executed.digest,
    input,
    request,
    text: () => new TextDecoder().decode(output),
    json: <T>() => JSON.parse(new TextDecoder().decode(output)) as T,
  }
}
