// A synchronous caller is answered before the combined signature is checked and recorded
// (docs/gateway.md "Answer first, check before recording"). A reader of the result must then get
// the same result, never `pending`, even when recording is slow (a loaded machine: CI once saw
// more than 5 s) or fails once (the log briefly unreachable: the check runs again).
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { Log } from '../src/log/index.ts'
import { startInProcessStack, type InProcessStack } from './inprocess-stack.ts'
import { API_KEY, deploy, helloArtifact } from './stack.ts'

let stack: InProcessStack
let events: string[] = []
beforeAll(async () => {
  stack = await startInProcessStack({ gateway: { apiKeys: [API_KEY], logger: (m) => events.push(m) } })
  expect((await deploy(stack.url, await helloArtifact())).status).toBe(201)
}, 120_000)
afterAll(() => stack?.close())

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Replace the log's recordResults for its next call only (the scheduler calls it through the same object). */
function onNextRecord(log: Log, instead: (original: Log['recordResults'], items: Parameters<Log['recordResults']>[0]) => Promise<void>) {
  const original = log.recordResults.bind(log)
  log.recordResults = (items) => {
    log.recordResults = original
    return instead(original, items)
  }
}

async function invokeThenRead(name: string) {
  const res = await fetch(`${stack.url}/v1/functions/hello/invoke?timeoutMs=60000`, { method: 'POST', body: JSON.stringify({ name }) })
  expect(res.status).toBe(200)
  const answered = (await res.json()) as { state: string; result: unknown; resultUrl: string }
  expect(answered.state).toBe('attested')
  const read = (await (await fetch(`${stack.url}${answered.resultUrl}`)).json()) as { state: string; result: unknown }
  return { answered, read }
}

test('a reader waits for a record that takes longer than a few seconds', async () => {
  onNextRecord(stack.gateway.log, async (original, items) => {
    await sleep(7_000)
    return original(items)
  })
  const { answered, read } = await invokeThenRead('slow record')
  expect(read.state).toBe('attested')
  expect(read.result).toEqual(answered.result)
}, 120_000)

test('a check whose record fails runs again, and the reader gets the recorded result', async () => {
  events = []
  onNextRecord(stack.gateway.log, async () => {
    throw new Error('connection terminated')
  })
  const { answered, read } = await invokeThenRead('failed record')
  expect(read.state).toBe('attested')
  expect(read.result).toEqual(answered.result)
  expect(events.some((m) => /signature check failed, again in \d+ ms for 1 result\(s\): connection terminated/.test(m))).toBe(true)
  // The log holds it, not only the scheduler's memory.
  const id = (answered as unknown as { resultUrl: string }).resultUrl.split('/').at(-1)!
  expect((await stack.gateway.log.getInvocation(id))?.state).toBe('attested')
}, 120_000)
