// The sandbox's component cache under 50 deployed functions (issue 18): what it accounts stays
// within its byte budget, it evicts least recently used components, an evicted function loads
// again and answers as before, functions on one code hash share one entry, a retired version is
// dropped, and GET /metrics reports the process's RSS beside the cache's figures.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { mkdtemp } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { zeroAddress, type Hex } from 'viem'
import { namedComponent } from './fixtures/named-component.ts'
import { createReplica, createReplicaServer, manifestFor, type Replica } from '../src/index.ts'

const FUNCTIONS = 50
// Each component's entry is ≈ 2 × 128 KiB (two-page memory and its pristine snapshot) plus its
// wasm: a 1 MiB budget holds a few of the 50, so most invocations below load and evict.
const BUDGET = 1 << 20
const enc = new TextEncoder()
const dec = new TextDecoder()

let replica: Replica
let url: string
let closeServer: () => Promise<void>
const codeHashes: Hex[] = []

const seqs = new Map<string, bigint>()
async function call(functionId: string, codeHash: Hex): Promise<string> {
  const seq = (seqs.get(functionId) ?? 0n) + 1n
  seqs.set(functionId, seq)
  const result = await replica.execute({ functionId, codeHash, seq, input: enc.encode('hi'), trigger: 'http', timestampMs: 0n })
  expect(result.fields.status).toBe(0)
  // Checked after every invocation, eviction included: the budget is never exceeded between calls.
  expect(replica.sandboxCache().bytes).toBeLessThanOrEqual(BUDGET)
  return dec.decode(result.output)
}

beforeAll(async () => {
  replica = await createReplica({
    index: 1,
    cacheDir: await mkdtemp(join(tmpdir(), 'nexus-budget-')),
    chainId: 1n,
    verifier: zeroAddress,
    memoryBudgetBytes: BUDGET,
  })
  for (let i = 0; i < FUNCTIONS; i++) {
    const component = await namedComponent(`fn-${i}`)
    const { codeHash } = await replica.deploy({ component, manifest: manifestFor(`fn-${i}`, component, { memoryPages: 4 }) })
    await replica.bindVersions(`fn-${i}`, [{ fromSeq: 1n, codeHash }])
    codeHashes.push(codeHash)
  }
  const server = createReplicaServer(replica, { gatewayKey: enc.encode('test-gateway-key-0123456789') })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  closeServer = () => new Promise((resolve) => server.close(() => resolve()))
}, 600_000)

afterAll(async () => {
  await closeServer?.()
  await replica?.close()
})

test('50 functions: the cache stays within its budget, evicts, and every function answers again after its eviction', async () => {
  expect(new Set(codeHashes).size).toBe(FUNCTIONS)
  for (let i = 0; i < FUNCTIONS; i++) expect(await call(`fn-${i}`, codeHashes[i]!)).toBe(`fn-${i}`)
  const first = replica.sandboxCache()
  expect(first.evictions).toBeGreaterThan(0)
  expect(first.entries).toBeGreaterThan(0)
  expect(first.entries).toBeLessThan(FUNCTIONS)
  // Function 0 was evicted long ago: it is loaded again from the compile cache and answers the same.
  for (let i = 0; i < FUNCTIONS; i++) expect(await call(`fn-${i}`, codeHashes[i]!)).toBe(`fn-${i}`)
  expect(replica.sandboxCache().evictions).toBeGreaterThan(first.evictions)
})

test('functions on one code hash share one cache entry', async () => {
  const codeHash = codeHashes[7]!
  await replica.bindVersions('twin-a', [{ fromSeq: 1n, codeHash }])
  await replica.bindVersions('twin-b', [{ fromSeq: 1n, codeHash }])
  expect(await call('twin-a', codeHash)).toBe('fn-7')
  const before = replica.sandboxCache()
  expect(await call('twin-b', codeHash)).toBe('fn-7')
  const after = replica.sandboxCache()
  expect(after.entries).toBe(before.entries)
  expect(after.bytes).toBe(before.bytes)
  expect(after.evictions).toBe(before.evictions)
})

test('a version no function runs any more is dropped from the cache', async () => {
  const component = await namedComponent('fn-49-v2')
  const { codeHash } = await replica.deploy({ component, manifest: manifestFor('fn-49', component, { memoryPages: 4 }) })
  expect(await call('fn-49', codeHashes[49]!)).toBe('fn-49')
  const before = replica.sandboxCache()
  await replica.bindVersions('fn-49', [{ fromSeq: seqs.get('fn-49')! + 1n, codeHash }])
  expect(await call('fn-49', codeHash)).toBe('fn-49-v2')
  expect(replica.sandboxCache().forgotten).toBe(before.forgotten + 1)
})

test('GET /metrics reports the RSS and the cache figures, without a gateway signature', async () => {
  const res = await fetch(`${url}/metrics`)
  expect(res.status).toBe(200)
  const text = await res.text()
  const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1])
  expect(value('process_resident_memory_bytes')).toBeGreaterThan(0)
  expect(value('nodejs_heap_used_bytes')).toBeGreaterThan(0)
  expect(value('nexus_sandbox_cache_budget_bytes')).toBe(BUDGET)
  expect(value('nexus_sandbox_cache_bytes')).toBeLessThanOrEqual(BUDGET)
  expect(value('nexus_sandbox_cache_bytes')).toBe(replica.sandboxCache().bytes)
  expect(value('nexus_sandbox_cache_evictions_total')).toBeGreaterThan(0)
})
