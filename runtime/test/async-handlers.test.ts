// Async handlers (issue 17): the guest prelude's Promise runs its jobs inside the invocation, so a
// handler may `await` host calls and its own promises; a Promise left pending can never settle and
// is a handler error — the same on a reused and on a fresh instance, as every replica must agree.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, expect, test } from 'vitest'
import { buildHandler, compileComponent } from '../src/index.ts'
import { loadCompiled } from '../src/sandbox/load-compiled.ts'
import { ComponentRunner, type InvocationOutcome } from '../src/sandbox/run-invocation.ts'
import type { Reader } from '../src/sandbox/overlay.ts'
import { defaultLimits } from '../src/sandbox/limits.ts'
import { Status } from '@nexus/protocol'

const fixture = fileURLToPath(new URL('./fixtures/async-handler.ts', import.meta.url))
const enc = new TextEncoder()
const dec = new TextDecoder()
let runner: ComponentRunner
const info = { functionId: 'f', seq: 1n, trigger: 'http', chainId: 1n, blockNumber: 0n, timestampMs: 0n, randomSeed: `0x${'00'.repeat(32)}` }
// One stored key, `counter` = 41; everything else is absent.
const state = ((request: { op: string; key?: string }) =>
  request.op === 'kv.get' && request.key === 'counter' ? enc.encode('41') : request.op === 'kv.scan' ? [] : null) as Reader
const run = (op: object, reuse = true): InvocationOutcome & { text: string } => {
  const outcome = runner.run(info, enc.encode(JSON.stringify(op)), { ...defaultLimits, fuel: 50_000_000 }, state, reuse)
  return { ...outcome, text: dec.decode(outcome.output) }
}
const same = (a: InvocationOutcome, b: InvocationOutcome) => expect(b).toEqual(a)

beforeAll(async () => {
  const artifact = await buildHandler(fixture, { name: 'async-handlers' })
  const { dir } = await compileComponent(artifact.component, {
    cacheDir: await mkdtemp(join(tmpdir(), 'nexus-async-handlers-')),
    memoryPages: defaultLimits.memoryPages,
  })
  runner = new ComponentRunner(await loadCompiled(dir))
}, 60_000)

test('an async handler awaits kv and its own promise and returns its output', () => {
  const r = run({ op: 'async-kv', key: 'counter' })
  expect(r.text).toBe('n=42')
  expect(r.status).toBe(Status.ok)
  expect(r.writes.kv).toEqual([['counter', enc.encode('42')]])
  expect(r.logs).toEqual([{ level: 'info', message: 'stored 42' }])
  same(r, run({ op: 'async-kv', key: 'counter' }, false))
})

test('Promise.all, allSettled, race, any and finally settle inside the invocation', () => {
  const r = run({ op: 'all-settled' })
  expect(r.status).toBe(Status.ok)
  expect(JSON.parse(r.text)).toEqual({
    order: ['a', 'b', 'AggregateError'],
    a: 1,
    b: 2,
    settled: ['rejected', 'fulfilled'],
    raced: 'race',
    finallyRan: true,
  })
})

test('async generators and for await run to the end', () => {
  expect(run({ op: 'async-generator' }).text).toBe('sum=3')
})

test("a sync handler's promise jobs still run before the invocation ends", () => {
  const r = run({ op: 'fire-and-forget' })
  expect(r.text).toBe('sync')
  expect(r.writes.kv).toEqual([['later', enc.encode('set by a job')]])
})

test('a Promise that never settles is a handler error naming it, the same on a fresh instance', () => {
  const r = run({ op: 'never-settles' })
  expect(r.status).toBe(Status.handlerError)
  expect(r.text).toBe('handler returned a Promise that never settled: it awaits something that no host call or promise of the handler settles')
  same(r, run({ op: 'never-settles' }, false))
})

test('a rejection after an await is a handler error with its message', () => {
  const r = run({ op: 'async-throws' })
  expect(r.status).toBe(Status.handlerError)
  expect(r.text).toBe('boom after await')
})

test('endless promise jobs run out of fuel, deterministically', () => {
  const r = run({ op: 'busy-jobs' })
  expect(r.status).toBe(Status.outOfFuel)
  same(r, run({ op: 'busy-jobs' }, false))
})
