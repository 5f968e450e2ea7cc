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
import { createSandbox } from '../src/sandbox/sandbox.ts'
import { Status } from '@nexus/protocol'

const fixture = fileURLToPath(new URL('./fixtures/slow-handler.ts', import.meta.url))
let runner: ComponentRunner
let compiledDir: string
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
  compiledDir = dir
  runner = new ComponentRunner(await loadCompiled(dir))
})

test.each([
  ['throw-object', 'handler threw a non-Error value: Object {"code":42}'],
  ['throw-null', 'handler threw a non-Error value: null'],
  ['throw-string', 'plain string'],
  ['return-string', 'handler returned string instead of a Uint8Array: "not bytes"'],
  ['return-number', 'handler returned number instead of a Uint8Array: 7'],
  ['return-undefined', 'handler returned undefined instead of a Uint8Array: undefined'],
])('%s is a handler error naming it, the same on a fresh instance', (op, message) => {
  const reused = run({ op })
  expect(reused.status).toBe(Status.handlerError)
  expect(reused.text).toBe(message)
  expect(reused.text).not.toMatch(/unreachable|out of bounds/)
  const fresh = run({ op }, false)
  expect({ ...fresh, writes: undefined }).toEqual({ ...reused, writes: undefined })
})

// Through the sandbox worker, as replicas run it: its native stack (GUEST_NATIVE_STACK_MB) outlasts
// the guest's own stack, so a too-deep recursion ends where the guest's stack ends, after the same
// fuel on every run and every replica. On V8's native stack (the 4 MiB Node gives a worker) it ended
// at a depth that depended on how far the wasm had tiered up.
test.each(['deep-recursion', 'deep-json'])('%s: Maximum call stack size exceeded, at the same fuel every run', async (op) => {
  const sandbox = createSandbox()
  try {
    const outcomes = []
    for (const reuse of [true, false, true, true]) {
      const outcome = await sandbox.execute({
        codeHash: 'guest-results',
        dir: compiledDir,
        info,
        input: new TextEncoder().encode(JSON.stringify({ op })),
        limits: defaultLimits,
        reuse,
        read: async () => null,
      })
      outcomes.push({ ...outcome, writes: undefined, text: new TextDecoder().decode(outcome.output) })
    }
    expect(outcomes[0]).toMatchObject({ status: Status.handlerError, text: 'Maximum call stack size exceeded' })
    for (const o of outcomes.slice(1)) expect(o).toEqual(outcomes[0])
  } finally {
    await sandbox.close()
  }
})

// Issue 17: a returned Promise is no longer refused — it is settled inside the invocation
// (async-handlers.test.ts); one that cannot settle is the handler error tested there.
test('a returned Promise of bytes is the output, the same on a fresh instance', () => {
  const reused = run({ op: 'return-promise' })
  expect(reused.status).toBe(Status.ok)
  expect(reused.text).toBe('late')
  const fresh = run({ op: 'return-promise' }, false)
  expect({ ...fresh, writes: undefined }).toEqual({ ...reused, writes: undefined })
})

test('fs.seek takes the BigInt its type declares', () => {
  const r = run({ op: 'seek' })
  expect(r.text).toBe(JSON.stringify({ tail: 'world', head: 'hello' }))
  expect(r.status).toBe(Status.ok)
})
