// A handler that returns an error leaves its instance healthy: it is reset and reused, like after a
// success, instead of being rebuilt (which costs ~50× a reset). A trap is not trusted: rebuilt.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { buildHandler, compileComponent } from '../src/index.ts'
import { loadCompiled } from '../src/sandbox/load-compiled.ts'
import { ComponentRunner } from '../src/sandbox/run-invocation.ts'
import { defaultLimits } from '../src/sandbox/limits.ts'
import { Status } from '@nexus/protocol'

const fixture = new URL('./fixtures/mixed-handler.ts', import.meta.url).pathname

test('handler errors reuse the instance; results match a fresh instance', async () => {
  const artifact = await buildHandler(fixture, { name: 'reuse' })
  const { dir } = await compileComponent(artifact.component, {
    cacheDir: await mkdtemp(join(tmpdir(), 'nexus-reuse-')),
    memoryPages: artifact.manifest.limits.memoryPages,
  })
  const runner = new ComponentRunner(await loadCompiled(dir))
  const info = { functionId: 'f', seq: 1n, trigger: 'http', chainId: 1n, blockNumber: 0n, timestampMs: 0n, randomSeed: `0x${'00'.repeat(32)}` }
  const noState = <T>() => null as T
  const run = (op: object, reuse = true) => runner.run(info, new TextEncoder().encode(JSON.stringify(op)), defaultLimits, noState, reuse)

  const missing = run({ op: 'cat', path: 'missing' })
  expect(missing.status).toBe(Status.handlerError)
  for (let k = 0; k < 5; k++) expect(run({ op: 'cat', path: 'missing' })).toEqual(missing)
  const thrown = run({ op: 'throw' })
  expect(thrown.status).toBe(Status.handlerError)
  const ok = run({ op: 'echo', text: 'after errors' })
  expect(runner.instancesCreated).toBe(1)
  // The same answers from brand-new instances.
  expect(run({ op: 'cat', path: 'missing' }, false)).toEqual(missing)
  expect(run({ op: 'throw' }, false)).toEqual(thrown)
  expect(run({ op: 'echo', text: 'after errors' }, false)).toEqual(ok)
  expect(runner.instancesCreated).toBe(4)
  // Out of fuel traps: that instance is not trusted again.
  const before = runner.instancesCreated
  expect(runner.run(info, new TextEncoder().encode(JSON.stringify({ op: 'loop' })), { ...defaultLimits, fuel: 100_000 }, noState).status).toBe(Status.outOfFuel)
  run({ op: 'echo', text: 'x' })
  expect(runner.instancesCreated).toBe(before + 1) // the trapped instance was dropped: the next run built one
})
