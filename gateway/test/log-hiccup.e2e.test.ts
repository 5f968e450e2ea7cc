// The log slow or briefly failing (a loaded machine, a database restarting) loses nothing and stops
// nothing. A synchronous caller is answered before the combined signature is checked and recorded
// (docs/gateway.md "Answer first, check before recording"): a reader of the result must then get
// the same result, never `pending`, even when recording is slow (CI once saw more than 5 s) or
// fails once (the check runs again). A batch whose record fails restarts the replica loop that
// was recording it; with two such failures a 3-of-4 lane used to be left two loops short for good.
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

type Record = Log['recordResults']

/** Replace the log's recordResults for its next `calls` calls (the scheduler calls it through the same object). */
function onNextRecord(log: Log, instead: (original: Record, items: Parameters<Record>[0]) => Promise<void>, calls = 1) {
  const original = log.recordResults.bind(log)
  let left = calls
  log.recordResults = (items) => {
    if (--left <= 0) log.recordResults = original
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

test('a burst whose batch records fail twice is attested in full, and the replica loops go on', async () => {
  events = []
  onNextRecord(
    stack.gateway.log,
    async () => {
      throw new Error('connection terminated')
    },
    2,
  )
  const ids = await Promise.all(
    Array.from({ length: 40 }, async (_, k) => {
      const res = await fetch(`${stack.url}/v1/functions/hello/invoke?mode=async`, { method: 'POST', body: JSON.stringify({ name: `burst ${k}` }) })
      expect(res.status).toBe(202)
      return ((await res.json()) as { id: string }).id
    }),
  )
  const deadline = Date.now() + 90_000
  let states: string[] = []
  while (Date.now() < deadline) {
    states = await Promise.all(ids.map(async (id) => (await stack.gateway.log.getInvocation(id))!.state))
    if (states.every((s) => s === 'attested')) break
    await sleep(200)
  }
  expect(states.filter((s) => s !== 'attested')).toEqual([])
  expect(events.filter((m) => m.includes('connection terminated')).length).toBeGreaterThanOrEqual(2)
  // Every loop still runs: a further invocation is applied by all four replicas (a loop that died
  // would leave its replica behind for good; the spares catch up shortly after the answer).
  const { read } = await invokeThenRead('after the burst')
  expect(read.state).toBe('attested')
  const head = BigInt((read as unknown as { seq: string }).seq)
  let applied: bigint[] = []
  while (Date.now() < deadline + 20_000) {
    applied = await Promise.all(stack.gateway.replicas.map(async (r) => (await r.state('hello'))?.lastAppliedSeq ?? -1n))
    if (applied.every((s) => s === head)) break
    await sleep(200)
  }
  expect(applied).toEqual([head, head, head, head])
}, 120_000)
