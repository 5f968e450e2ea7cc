// `@nexus/framework/testing` on a fixture project built for real (bundle → componentize) and run on
// one in-process replica: HTTP routes, events encoded from the config's ABI, blocks, cron ticks, KV,
// files, logs, settable time and seed, and results equal to a separate replica's for the same
// invocation.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { getAddress, zeroAddress } from 'viem'
import { createReplica } from '@nexus/runtime'
import { createTestRuntime, NoMatchingFunctionError, type TestRuntime } from '../src/testing/index.ts'
import type config from './fixtures/testing/nexus.config.ts'

const alice = getAddress('0x70997970c51812dc3a010c7d01b50e20d6dc9cc8')
const bob = getAddress('0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc')
let out: string
let nx: TestRuntime<typeof config>

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'nexus-testing-'))
  nx = await createTestRuntime<typeof config>({
    config: new URL('./fixtures/testing/nexus.config.ts', import.meta.url),
    out,
    now: new Date('2026-03-01T12:00:00Z'),
    progress: () => {},
  })
}, 600_000)

afterAll(async () => {
  await nx?.close()
  await rm(out, { recursive: true, force: true })
})

test('an HTTP request reaches its route; output, KV, files and logs are the replica’s', async () => {
  expect(nx.functions).toEqual(['tested-note', 'tested-transfers', 'tested-blocks', 'tested-tick'])
  const res = await nx.http('POST', '/notes/a?x=1', { json: { text: 'hi' }, query: { y: '2' } })
  expect(res.status).toBe('ok')
  expect(res.functionId).toBe('tested-note')
  expect(res.json()).toMatchObject({
    count: 1,
    now: String(Date.UTC(2026, 2, 1, 12)),
    query: [
      ['x', '1'],
      ['y', '2'],
    ],
    seq: '1',
  })
  expect(res.logs).toEqual([{ level: 'info', message: 'note a #1' }])
  expect(res.fuelUsed).toBeGreaterThan(0n)
  expect(await nx.kv('note').getString('note/a')).toBe('hi')
  expect(await nx.kv('tested-note').getJson('count')).toBe(1)
  expect((await nx.kv('note').list('note/')).map(([k]) => k)).toEqual(['note/a'])
  expect(await nx.files('note').readText('/note-a.txt')).toBe('hi')
  expect(await nx.files('note').list()).toEqual(['note-a.txt'])

  const second = await nx.http('POST', '/notes/b', { json: { text: 'there' } })
  expect(second.json()).toMatchObject({ count: 2, seq: '2' })

  // A handler that throws: an error result, its message as output, its writes discarded.
  const failed = await nx.http('POST', '/notes/c', { json: { text: 'boom' } })
  expect(failed.status).toBe('handler_error')
  expect(failed.text()).toContain('boom requested')
  expect(await nx.kv('note').getString('note/c')).toBeUndefined()

  await expect(nx.http('GET', '/notes/a')).rejects.toThrow(/GET is not allowed on \/notes\/a; allowed: POST/)
  await expect(nx.http('POST', '/nowhere')).rejects.toBeInstanceOf(NoMatchingFunctionError)
}, 120_000)

test('time and seed are the test’s: same time and seed, same output; another seed, other random bytes', async () => {
  nx.setTime(1_800_000_000_000n)
  const a = await nx.http('POST', '/notes/t', { json: { text: 'x' } })
  expect(a.json<{ now: string }>().now).toBe('1800000000000')
  nx.setSeed('one')
  const b = await nx.http('POST', '/notes/t', { json: { text: 'x' } })
  nx.setSeed('two')
  const c = await nx.http('POST', '/notes/t', { json: { text: 'x' } })
  const random = (r: typeof a) => r.json<{ random: string }>().random
  expect(new Set([random(a), random(b), random(c)]).size).toBe(3)

  // A second runtime on the same build replays the same invocations to the same results.
  const again = await createTestRuntime<typeof config>({
    config: new URL('./fixtures/testing/nexus.config.ts', import.meta.url),
    out,
    now: 0,
    progress: () => {},
  })
  try {
    for (const text of ['hi', 'there', 'boom']) await again.http('POST', '/notes/z', { json: { text } })
    again.setTime(1_800_000_000_000n)
    expect((await again.http('POST', '/notes/t', { json: { text: 'x' } })).digest).not.toBe(a.digest) // other state before it
    again.setSeed('one')
    const replay = await again.http('POST', '/notes/t', { json: { text: 'x' } })
    expect(random(replay)).toBe(random(b))
  } finally {
    await again.close()
  }
}, 120_000)

test('an event is encoded from the ABI and delivered as the gateway would, with the block’s time', async () => {
  await nx.block({ number: 10, timestamp: 1_700_000_000 })
  const [res, ...rest] = await nx.event('Transfer', { contract: 'Token', args: { from: alice, to: bob, value: 5n } })
  expect(rest).toEqual([])
  expect(res!.json()).toEqual({ from: alice, to: bob, value: '5', block: '10', now: '1700000000000' })
  await nx.event('Transfer', { contract: 'Token', args: { from: alice, to: bob, value: 7n }, blockNumber: 11 })
  expect(await nx.kv('transfers').getString(`balance/${bob.toLowerCase()}`)).toBe('12')
  // @ts-expect-error: Approval is not handled (and the type allows only the ABI's events)
  await expect(nx.event('Nope', { contract: 'Token', args: {} })).rejects.toBeInstanceOf(NoMatchingFunctionError)
}, 120_000)

test('blocks run @onBlock handlers they are due for; cron ticks carry their time', async () => {
  expect(await nx.block({ number: 13, timestamp: 1_700_000_100 })).toEqual([])
  const [due] = await nx.block({ timestamp: 1_700_000_112 })
  expect(due!.json()).toEqual({ number: '14', timestamp: '1700000112' })
  const [tick] = await nx.cron('tick', { at: new Date('2026-03-01T12:05:00Z') })
  expect(tick!.json()).toEqual({ at: String(Date.UTC(2026, 2, 1, 12, 5)), now: String(Date.UTC(2026, 2, 1, 12, 5)) })
  expect((await nx.cron('*/5 * * * *')).map((r) => r.functionId)).toEqual(['tested-tick'])
}, 120_000)

test('a result is exactly what a separate replica computes for the same invocation', async () => {
  const fresh = await createTestRuntime({ config: new URL('./fixtures/testing/nexus.config.ts', import.meta.url), out, progress: () => {} })
  const other = await createReplica({ index: 2, cacheDir: join(out, 'other-cache'), chainId: 31337n, verifier: zeroAddress, requireVersions: false })
  try {
    const results = [
      await fresh.http('POST', '/notes/a', { json: { text: 'one' } }),
      await fresh.http('POST', '/notes/b', { json: { text: 'boom' } }),
      await fresh.invoke('note', 'raw body'),
    ]
    const fn = fresh.project.functions.find((f) => f.id === 'tested-note')!
    await other.deploy({ component: fn.component!, manifest: fn.manifest! })
    for (const r of results) {
      const replayed = await other.execute(r.request)
      expect({ digest: replayed.digest, output: replayed.output, logs: replayed.logs }).toEqual({ digest: r.digest, output: r.output, logs: r.logs })
    }
    expect(results.map((r) => r.status)).toEqual(['ok', 'handler_error', 'handler_error'])
  } finally {
    await other.close()
    await fresh.close()
  }
}, 300_000)
