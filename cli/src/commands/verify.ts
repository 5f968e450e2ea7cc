// `nexus verify <result.json> --network <network.json> [--function <id>]`: prints `ok <digest>`
// (exit 0) or `invalid: <reason>` (exit 1). Usage errors exit 2. Results of protocol v1 and v2 both
// verify; `--function` also requires a v2 result of that function (a v1 result does not say which
// function produced it).
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
    const verdict = await verifyResult(await readJson(resultPath, 'result file'), network, { functionId: parsed.values.function })
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
