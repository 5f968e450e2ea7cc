// "Cheap in fuel, slow in time" (issue 15, item 5): handlers that ran for seconds to minutes on a
// few percent of the default fuel — bulk memory, host calls, storage writes, file writes — must end
// as a deterministic out-of-fuel or write-limit result at the DEFAULT limits, the same on two
// replicas (status, fuelUsed, output, digest). Wall times are printed (never asserted): they are
// the numbers in docs/runtime.md, "Fuel schedule".
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { zeroAddress, type Hex } from 'viem'
import { buildHandler, createReplica, type ExecutedResult, type Replica } from '../src/index.ts'
import { defaultLimits } from '../src/sandbox/limits.ts'

const fixture = fileURLToPath(new URL('./fixtures/slow-handler.ts', import.meta.url))
const replicas: Replica[] = []
let codeHash: Hex
const timings: string[] = []

beforeAll(async () => {
  const artifact = await buildHandler(fixture, { name: 'slow' })
  expect(artifact.manifest.limits).toEqual(defaultLimits)
  const cacheDir = await mkdtemp(join(tmpdir(), 'nexus-slow-'))
  for (const index of [1, 2]) {
    // A generous watchdog: this suite checks what fuel and the write caps do; on a loaded CI machine
    // the default 30 s backstop could fire first (that path is gateway/test/watchdog.e2e.test.ts).
    const replica = await createReplica({ index, cacheDir, chainId: 1n, verifier: zeroAddress, watchdogMs: 600_000, requireVersions: false })
    replicas.push(replica)
    ;({ codeHash } = await replica.deploy(artifact))
  }
})

afterAll(async () => {
  console.log(`slow-handler wall times (replica 1 / replica 2):\n${timings.join('\n')}`)
  await Promise.allSettled(replicas.map((r) => r.close()))
})

/** Runs one op on both replicas (as seq 1 of a function of its own), checks they agree, returns replica 1's result. */
async function both(op: string, extra: object = {}): Promise<ExecutedResult & { text: string }> {
  const request = { functionId: op, codeHash, seq: 1n, input: new TextEncoder().encode(JSON.stringify({ op, ...extra })), trigger: 'http', timestampMs: 0n }
  const results: ExecutedResult[] = []
  const ms: string[] = []
  for (const replica of replicas) {
    const started = performance.now()
    results.push(await replica.execute(request))
    ms.push(`${Math.round(performance.now() - started)} ms`)
  }
  const [a, b] = results as [ExecutedResult, ExecutedResult]
  const text = new TextDecoder().decode(a.output)
  timings.push(`  ${op.padEnd(20)} ${ms.join(' / ').padEnd(22)} status ${a.fields.status}, fuel ${a.fields.fuelUsed}: ${text.slice(0, 90)}`)
  expect({ fields: b.fields, digest: b.digest, output: b.output }).toEqual({ fields: a.fields, digest: a.digest, output: a.output })
  return { ...a, text }
}

const FUEL = BigInt(defaultLimits.fuel)
const outOfFuel = (r: ExecutedResult & { text: string }) => {
  expect(r.fields.status).toBe(2)
  expect(r.fields.fuelUsed).toBe(FUEL)
  expect(r.text).toBe('out of fuel')
}

test('ordinary metered code: the reference rate', async () => {
  const r = await both('slow-spin', { n: 1_000_000 })
  expect(r.fields.status).toBe(0)
})

test.each([
  'copy-within',
  'fill',
  'write-1-byte',
  'seek-write',
  'random-bytes',
  'host-calls',
  'math-random',
  'kv-get-loop',
  'log-lines',
  'json-parse',
  'sort',
  'regex-backtracking',
])('%s ends out of fuel at the default limit, the same on both replicas', async (op) => outOfFuel(await both(op)))

test.each([
  ['kv-many-keys', /more than 256 keys and paths written.*maxWriteKeys/],
  ['many-files', /more than 256 keys and paths written.*maxWriteKeys/],
  ['kv-big-values', /more than 33554432 bytes written.*maxWriteBytes/],
  ['kv-same-key', /more than 33554432 bytes written.*maxWriteBytes/],
])('%s ends with a write-limit handler error and writes nothing', async (op, message) => {
  const before = await replicas[0]!.state(op)
  const r = await both(op)
  expect(r.fields.status).toBe(1)
  expect(r.text).toMatch(message)
  expect(r.fields.fuelUsed).toBeLessThan(FUEL)
  expect(r.fields.stateRootAfter).toBe(before.stateRoot)
})

test.each(['string-concat', 'alloc-grow', 'bind-chain'])('%s ends out of fuel or out of memory, deterministically', async (op) => {
  const r = await both(op)
  expect([2, 3]).toContain(r.fields.status)
})
