// What the component bindings cannot lower (issue 15, item 7): a thrown non-Error, a returned
// Promise or non-bytes value, deep recursion — all read `wasm unreachable` before — are handler
// errors that name what happened, the same on a reused and on a fresh instance; `fs.seek(fd, 0n)`
// works instead of trapping.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, expect, test } from 'vitest'
import { buildHandler, compileComponent } from '../src/index.ts'
import { loadCompiled } from '../src/sandbox/load-compiled.ts'
import { ComponentRunner, type InvocationOutcome } from '../src/sandbox/run-invocation.ts'
import { defaultLimits } from '../src/sandbox/limits.ts'
import { Status } from '@nexus/protocol'

const fixture = fileURLToPath(new URL('./fixtures/slow-handler.ts', import.meta.url))
let runner: ComponentRunner
const info = { functionId: 'f', seq: 1n, trigger: 'http', chainId: 1n, blockNumber: 0n, timestampMs: 0n, randomSeed: `0x${'00'.repeat(32)}` }
const noState = <T>() => null as T
const run = (op: object, reuse = true): InvocationOutcome & { text: string } => {
  const outcome = runner.run(info, new TextEncoder().encode(JSON.stringify(op)), defaultLimits, noState, reuse)
  return { ...outcome, text: new TextDecoder().decode(outcome.output) }
}

beforeAll(async () => {
  const artifact = await buildHandler(fixture, { name: 'guest-results' })
  const { dir } = await compileComponent(artifact.component, {
    cacheDir: await mkdtemp(join(tmpdir(), 'nexus-guest-results-')),
    memoryPages: defaultLimits.memoryPages,
  })
  runner = new ComponentRunner(await loadCompiled(dir))
})

test.each([
  ['throw-object', 'handler threw a non-Error value: Object {"code":42}'],
  ['throw-null', 'handler threw a non-Error value: null'],
  ['throw-string', 'plain string'],
  ['return-promise', 'handler returned a Promise: handlers run synchronously (host calls are synchronous); return a Uint8Array'],
  ['return-string', 'handler returned string instead of a Uint8Array: "not bytes"'],
  ['return-number', 'handler returned number instead of a Uint8Array: 7'],
  ['return-undefined', 'handler returned undefined instead of a Uint8Array: undefined'],
  ['deep-recursion', 'Maximum call stack size exceeded'],
  ['deep-json', 'Maximum call stack size exceeded'],
])('%s is a handler error naming it, the same on a fresh instance', (op, message) => {
  const reused = run({ op })
  expect(reused.status).toBe(Status.handlerError)
  expect(reused.text).toBe(message)
  expect(reused.text).not.toMatch(/unreachable|out of bounds/)
  const fresh = run({ op }, false)
  // A JS stack overflow is V8's native stack limit, hit at a depth that depends on how far the
  // wasm code has tiered up (Liftoff and TurboFan frames differ in size), so the fuel burnt until
  // then differs from run to run: replicas can disagree on such an invocation (it is disputed, never
  // wrongly attested). Known bug, left open (a deterministic call-depth limit in the metering pass
  // would fix it); everything else about the result is compared.
  const nativeStackOverflow = op === 'deep-recursion' || op === 'deep-json'
  const comparable = (r: typeof reused) => ({ ...r, writes: undefined, ...(nativeStackOverflow ? { fuelUsed: undefined } : {}) })
  expect(comparable(fresh)).toEqual(comparable(reused))
})

test.todo('a JS stack overflow burns the same fuel on every replica (today it depends on the JIT tier)')

test('fs.seek takes the BigInt its type declares', () => {
  const r = run({ op: 'seek' })
  expect(r.text).toBe(JSON.stringify({ tail: 'world', head: 'hello' }))
  expect(r.status).toBe(Status.ok)
})
