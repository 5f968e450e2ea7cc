// The bounded HTTP fuzz run of CI: 2,000 seeded requests (gateway/test/http-fuzz.ts) against a
// real gateway and a real 3-of-4 network (in-process replicas over real HTTP). No answer may be a
// 5xx and no connection may fail; afterwards a normal invocation is still attested. The seed is
// printed with any finding; NEXUS_FUZZ_SEED / NEXUS_FUZZ_COUNT replay or widen a run.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { fuzzGateway } from './http-fuzz.ts'
import { send } from './http-client.ts'
import { startInProcessStack, type InProcessStack } from './inprocess-stack.ts'
import { helloArtifact } from './stack.ts'

const SEED = Number(process.env.NEXUS_FUZZ_SEED ?? 20261204)
const COUNT = Number(process.env.NEXUS_FUZZ_COUNT ?? 2000)
let stack: InProcessStack

beforeAll(async () => {
  stack = await startInProcessStack({ gateway: { limits: { syncTimeoutMs: 2000 } } })
  const res = await send(`${stack.url}/v1/functions`, {
    method: 'POST',
    headers: { authorization: 'Bearer k' },
    body: JSON.stringify(await helloArtifact('hello')),
  })
  expect(res.status).toBe(201)
}, 600_000)

afterAll(async () => {
  await stack?.close()
})

test(`${COUNT} fuzzed requests: no 5xx, no failed connection, and the gateway still attests`, async () => {
  const report = await fuzzGateway({ url: stack.url, seed: SEED, count: COUNT, functionId: 'hello', apiKey: 'k', artifact: await helloArtifact('hello') })
  console.log(`fuzz seed ${report.seed}: ${report.count} requests in ${(report.ms / 1000).toFixed(1)} s, by status ${JSON.stringify(report.byStatus)}`)
  expect(report.findings, `fuzz seed ${SEED} (replay: NEXUS_FUZZ_SEED=${SEED})`).toEqual([])
  // The fuzz run leaves a backlog of invocations on hello; this one is attested after them.
  const after = await send(`${stack.url}/v1/functions/hello/invoke?mode=async`, { method: 'POST', body: '{"name":"after fuzz"}' })
  expect(after.status).toBe(202)
  const deadline = Date.now() + 600_000
  let result = after.json()
  while (result.state === 'pending' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500))
    result = (await send(`${stack.url}/v1/results/${result.id}`)).json()
  }
  expect(result).toMatchObject({ state: 'attested', status: 'ok' })
}, 1_200_000)
