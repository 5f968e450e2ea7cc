// Decorated async handlers (issue 17), built for real (bundle → componentize) and run in a real
// replica (PGlite): an async method awaits ctx.kv and its own promise, its ctx.log lines come back
// with the result; a handler awaiting a Promise nothing settles is a handler error.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { zeroAddress, type Hex } from 'viem'
import { createReplica, type Replica } from '@nexus/runtime'
import { buildProject, type BuiltProject } from '../src/build/index.ts'
import { encodeTriggerPayload, Status } from '@nexus/protocol'

const config = fileURLToPath(new URL('./fixtures/async/nexus.config.ts', import.meta.url))
const dec = new TextDecoder()
let project: BuiltProject
let replica: Replica
const seqs = new Map<string, bigint>()

beforeAll(async () => {
  const out = await mkdtemp(join(tmpdir(), 'nexus-async-build-'))
  project = await buildProject(config, { out })
  replica = await createReplica({ index: 1, cacheDir: join(out, 'cache'), chainId: 31337n, verifier: zeroAddress, requireVersions: false })
  for (const fn of project.functions) await replica.deploy({ component: fn.component!, manifest: fn.manifest! })
}, 85_000)

afterAll(async () => {
  await replica?.close()
})

async function cron(functionId: string, schedule: string) {
  const fn = project.functions.find((f) => f.id === functionId)!
  const seq = (seqs.get(functionId) ?? 0n) + 1n
  seqs.set(functionId, seq)
  const r = await replica.execute({
    functionId,
    codeHash: fn.manifest!.codeHash as Hex,
    seq,
    input: encodeTriggerPayload({ kind: 'cron', schedule, scheduledAtMs: '1700000100000' }),
    trigger: 'cron',
    timestampMs: 1_700_000_000_000n + seq,
    chainId: 31337n,
  })
  return { status: r.fields.status, output: dec.decode(r.output), logs: r.logs }
}

test('an async method awaits ctx.kv and its own promise; its ctx.log lines come with the result', async () => {
  expect(project.functions.map((f) => f.id)).toEqual(['async-tick', 'async-stuck'])
  expect(await cron('async-tick', '*/5 * * * *')).toEqual({
    status: Status.ok,
    output: '{"ticks":1,"at":"1700000100000"}',
    logs: [
      { level: 'debug', message: 'before 0' },
      { level: 'info', message: 'after 1' },
    ],
  })
  expect((await cron('async-tick', '*/5 * * * *')).output).toBe('{"ticks":2,"at":"1700000100000"}')
})

test('awaiting a Promise nothing settles is a handler error naming it', async () => {
  expect(await cron('async-stuck', '0 * * * *')).toEqual({
    status: Status.handlerError,
    output: 'handler returned a Promise that never settled: it awaits something that no host call or promise of the handler settles',
    logs: [{ level: 'warn', message: 'about to wait forever' }],
  })
})
