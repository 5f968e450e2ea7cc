// A batch runs in ONE sandbox message (apply-invocations.ts, sandbox.ts `executeBatch`): each
// invocation on a fresh instance, each seeing what the earlier successful ones wrote without a round
// trip to the main thread, a failed one's writes invisible to the next; and a watchdog inside a
// batch leaves the seqs before the timed-out one applied, as the gateway expects.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { zeroAddress, type Hex } from 'viem'
import { buildHandler, compileComponent, createReplica, type Artifact, type Replica } from '../src/index.ts'
import { createSandbox, WatchdogError } from '../src/sandbox/sandbox.ts'
import { withDefaultLimits } from '../src/sandbox/limits.ts'
import type { ReadRequest } from '../src/sandbox/sync-channel.ts'
import { Status } from '@nexus/protocol'

const enc = new TextEncoder()
const dec = new TextDecoder()
// Enough fuel that `loop` outlasts the watchdog instead of ending as out of fuel.
const limits = withDefaultLimits({ fuel: 1_000_000_000_000 })
let artifact: Artifact
let cacheDir: string
const replicas: Replica[] = []

beforeAll(async () => {
  artifact = await buildHandler(fileURLToPath(new URL('./fixtures/mixed-handler.ts', import.meta.url)), { name: 'batch', limits })
  cacheDir = await mkdtemp(join(tmpdir(), 'nexus-batch-run-'))
})
afterAll(async () => {
  await Promise.allSettled(replicas.map((r) => r.close()))
})

const info = (seq: number) => ({
  functionId: 'f',
  seq: BigInt(seq),
  trigger: 'http',
  chainId: 1n,
  blockNumber: 0n,
  timestampMs: 0n,
  randomSeed: `0x${'00'.repeat(32)}`,
})

test('one message: later invocations read earlier writes from the batch, a failed one writes nothing, storage is read once per key', async () => {
  const { dir } = await compileComponent(artifact.component, { cacheDir, memoryPages: limits.memoryPages })
  const sandbox = createSandbox()
  const reads: [ReadRequest, number][] = []
  try {
    const ops = [
      { op: 'incr', key: 'k' },
      { op: 'incr', key: 'k', n: 10 },
      { op: 'set-then-throw', key: 'k' },
      { op: 'del', key: 'gone' },
      { op: 'incr', key: 'k' },
      { op: 'scan', key: '' },
    ]
    const outcomes = await sandbox.executeBatch({
      codeHash: artifact.manifest.codeHash,
      dir,
      limits,
      invocations: ops.map((op, i) => ({ info: info(i + 1), input: enc.encode(JSON.stringify(op)) })),
      read: async (request, index) => {
        reads.push([request, index])
        // Committed storage before the batch: k = 5, gone = 'x'.
        if (request.op === 'kv.get') return request.key === 'k' ? enc.encode('5') : request.key === 'gone' ? enc.encode('x') : null
        if (request.op === 'kv.scan')
          return [
            ['gone', enc.encode('x')],
            ['k', enc.encode('5')],
          ].slice(0, request.limit)
        return null
      },
    })
    expect(outcomes.map((o) => o.status)).toEqual([Status.ok, Status.ok, Status.handlerError, Status.ok, Status.ok, Status.ok])
    expect(outcomes.map((o) => (o.status === Status.ok ? JSON.parse(dec.decode(o.output)) : null))).toEqual([
      { key: 'k', n: 6 },
      { key: 'k', n: 16 },
      null,
      { existed: true },
      { key: 'k', n: 17 },
      [['k', '17']],
    ])
    // Each outcome's writes are its own (committed one by one by the replica).
    expect(outcomes[4]!.writes.kv).toEqual([['k', enc.encode('17')]])
    // Storage saw `k` and `gone` once each (by the invocation that first read them) and one scan.
    expect(reads.map(([r, index]) => [r.op, index])).toEqual([
      ['kv.get', 0],
      ['kv.get', 3],
      ['kv.scan', 5],
    ])
  } finally {
    await sandbox.close()
  }
})

test('a watchdog in a batch: the seqs before it are applied, it is refused until the log aborts it, then the batch goes through', async () => {
  const replica = await createReplica({ index: 1, cacheDir, chainId: 1n, verifier: zeroAddress, requireVersions: false, watchdogMs: 5_000 })
  replicas.push(replica)
  const { codeHash } = await replica.deploy(artifact)
  const request = (seq: number, op: object, abort?: 'watchdog') => ({
    functionId: 'f',
    codeHash: codeHash as Hex,
    seq: BigInt(seq),
    input: enc.encode(JSON.stringify(op)),
    trigger: 'http',
    timestampMs: 0n,
    ...(abort ? { abort } : {}),
  })
  const batch = (abort?: 'watchdog') => [
    request(1, { op: 'incr', key: 'k' }),
    request(2, { op: 'incr', key: 'k' }),
    request(3, { op: 'loop' }, abort),
    request(4, { op: 'incr', key: 'k' }),
  ]
  await expect(replica.executeBatch(batch())).rejects.toBeInstanceOf(WatchdogError)
  // The gateway reads the timed-out seq as the last applied + 1.
  expect((await replica.state('f')).lastAppliedSeq).toBe(2n)
  // Resent unchanged: answered WATCHDOG at once (remembered), nothing more applied.
  await expect(replica.executeBatch(batch())).rejects.toBeInstanceOf(WatchdogError)
  expect((await replica.state('f')).lastAppliedSeq).toBe(2n)
  // Resent with seq 3 marked aborted by the log: recorded without running, seq 4 runs after it.
  const done = await replica.executeBatch(batch('watchdog'))
  expect(done.results.map((r) => r.fields.status)).toEqual([Status.ok, Status.ok, Status.outOfFuel, Status.ok])
  expect(JSON.parse(dec.decode(done.results[3]!.output))).toEqual({ key: 'k', n: 3 })
})
