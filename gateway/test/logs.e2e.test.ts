// Handler logs end to end and async handlers (issue 17) on a real 3-of-4 network (in-process
// replicas over real HTTP): what the handler logs comes back in the sync answer and at
// GET /v1/results/:id, the same lines on every replica, bounded with a final truncation line; an
// async handler awaiting kv works and one that never settles is a handler error.
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { buildHandler } from '@nexus/runtime'
import type { Invocation } from '../src/index.ts'
import { startInProcessStack, type InProcessStack } from './inprocess-stack.ts'
import { send } from './http-client.ts'

let stack: InProcessStack
const seen: Invocation[] = []

beforeAll(async () => {
  const [artifact, started] = await Promise.all([
    buildHandler(fileURLToPath(new URL('./logs-handler.ts', import.meta.url)), { name: 'logs' }),
    startInProcessStack({ gateway: { limits: { syncTimeoutMs: 60_000 }, onResult: (inv) => seen.push(inv) } }),
  ])
  stack = started
  const body = { manifest: artifact.manifest, component: Buffer.from(artifact.component).toString('base64') }
  const res = await send(`${stack.url}/v1/functions`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: JSON.stringify(body) })
  expect(res.status).toBe(201)
}, 90_000)

afterAll(async () => {
  await stack?.close()
})

const invoke = async (op: object) => {
  const res = await send(`${stack.url}/v1/functions/logs/invoke`, { method: 'POST', body: JSON.stringify(op) })
  expect(res.status).toBe(200)
  return res.json()
}
const result = async (id: string) => (await send(`${stack.url}/v1/results/${id}`)).json()
const output = (hex: string) => Buffer.from(hex.slice(2), 'hex').toString()

test('an async handler awaits kv; its log lines are in the sync answer, at /v1/results/:id and given to onResult', async () => {
  const expected = [
    { level: 'debug', message: 'count was 0' },
    { level: 'info', message: 'count is 1' },
    { level: 'warn', message: 'a warning' },
    { level: 'error', message: 'an error line' },
  ]
  const sync = await invoke({ op: 'count' })
  expect(sync).toMatchObject({ state: 'attested', status: 'ok', seq: '1', logs: expected })
  expect(output(sync.result.output)).toBe('{"count":1}')
  const stored = await result(sync.id)
  expect(stored).toMatchObject({ state: 'attested', logs: expected })
  // The second run reads what the first stored: state went through the await.
  const again = await invoke({ op: 'count' })
  expect(output(again.result.output)).toBe('{"count":2}')
  expect(again.logs[1]).toEqual({ level: 'info', message: 'count is 2' })
  // The result stays signed over the output only: the log lines are beside it, not in its fields.
  expect(JSON.stringify(sync.result)).not.toContain('count was 0')
  await expect.poll(() => seen.find((i) => i.id === sync.id)?.logs).toEqual(expected)
})

test('more than 100 lines are cut, with a final line saying how many were dropped', async () => {
  const sync = await invoke({ op: 'flood', lines: 130 })
  expect(sync.status).toBe('ok')
  expect(sync.logs).toHaveLength(101)
  expect(sync.logs[99]).toEqual({ level: 'info', message: 'line 99' })
  expect(sync.logs[100]).toEqual({
    level: 'warn',
    message: 'log truncated: 30 more lines dropped (at most 100 lines and 16384 bytes per invocation)',
  })
  expect((await result(sync.id)).logs).toEqual(sync.logs)
})

test('a Promise that never settles is a handler error, attested like any other result, with the lines logged before', async () => {
  const sync = await invoke({ op: 'never' })
  expect(sync).toMatchObject({ state: 'attested', status: 'handler_error', logs: [{ level: 'info', message: 'waiting forever' }] })
  expect(output(sync.result.output)).toBe(
    'handler returned a Promise that never settled: it awaits something that no host call or promise of the handler settles',
  )
})
