// `nexus verify <result.json> --network <network.json> [--function <id>]`: prints `ok <digest>`
// (exit 0) or `invalid: <reason>` (exit 1). Usage errors exit 2. Results of protocol v1 and v2 both
// verify; `--function` also requires a v2 result of that function (a v1 result does not say which
// function produced it). Given a whole gateway answer (what `curl` of /invoke, an @onHttp route
// or /v1/results/<id> prints), it verifies the attested result in its `.result` field and says so.
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { NexusError } from '@nexus/protocol'
import { parseNetwork, verifyResult } from '@nexus/protocol/attest'

const usage = 'usage: nexus verify <result.json> --network <network.json> [--function <id>]'

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new NexusError(`cannot read ${what} ${path}`, { cause: err })
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new NexusError(`${what} ${path} is not valid JSON`, { cause: err })
  }
}

/** The file is a gateway answer (or a page of them) that holds no single attested result to check. */
export class NoAttestedResultError extends NexusError {
  override name = 'NoAttestedResultError'
  override code = 'NEXUS_VERIFY_NO_RESULT'
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The attested result inside a gateway answer (`{ id, state, result, … }`), with a note saying
 * that is what is verified; anything else is returned as it is and checked as a result. An answer
 * with no result yet is an error that says where to get one.
 */
export function unwrapGatewayAnswer(value: unknown): { result: unknown; note?: string } {
  if (!isObject(value) || 'protocol' in value || 'kind' in value) return { result: value }
  if (Array.isArray(value.items) && !('result' in value))
    throw new NoAttestedResultError('this is a page of results (GET …/results); save one item, or its .result field, and verify that')
  if (!('result' in value)) return { result: value }
  if (isObject(value.result)) return { result: value.result, note: 'this is a gateway answer; the attested result is its .result field — verifying that' }
  const state = typeof value.state === 'string' ? value.state : 'unknown'
  const where = typeof value.resultUrl === 'string' ? ` (GET ${value.resultUrl} on the gateway)` : ''
  throw new NoAttestedResultError(
    state === 'disputed'
      ? 'this gateway answer has no attested result: the invocation is disputed (fewer than t replicas agreed); there is nothing to verify'
      : `this gateway answer has no attested result yet (state: ${state}); fetch its resultUrl${where} until state is "attested", save that answer and verify it`,
  )
}

export async function run(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: { network: { type: 'string' }, function: { type: 'string' } }, allowPositionals: true, strict: true })
  } catch (err) {
    console.error(`nexus verify: ${(err as Error).message}\n${usage}`)
    return 2
  }
  const [resultPath, ...extra] = parsed.positionals
  if (!resultPath || extra.length > 0 || !parsed.values.network) {
    console.error(usage)
    return 2
  }
  try {
    const network = parseNetwork(await readJson(parsed.values.network, 'network file'))
    const { result, note } = unwrapGatewayAnswer(await readJson(resultPath, 'result file'))
    if (note) console.error(`note: ${note}`)
    const verdict = await verifyResult(result, network, { functionId: parsed.values.function })
    if (verdict.ok) {
      console.log(`ok ${verdict.digest}`)
      return 0
    }
    console.log(`invalid: ${verdict.error.shortMessage} [${verdict.error.code}]`)
    return 1
  } catch (err) {
    const e = err instanceof NexusError ? err : new NexusError('verification failed', { cause: err })
    console.log(`invalid: ${e.shortMessage}${e.details && e.details !== e.shortMessage ? ` (${e.details})` : ''} [${e.code}]`)
    return 1
  }
}
