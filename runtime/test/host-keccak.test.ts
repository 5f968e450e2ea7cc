// keccak-256 in a guest runs on the host (`nexus:function/crypto`, issue 18): viem's keccak256 and
// getAddress, noble's keccak_256 and the protocol's keccak256 inside a component give the same bytes
// as the host computes, at a fuel that is the same on every run and a small fraction of hashing in
// the interpreter (noble's incremental API, which stays in JS). Through the sandbox worker too,
// whose bundle must carry the host's keccak.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getAddress, keccak256, toHex } from 'viem'
import { beforeAll, expect, test } from 'vitest'
import { Status } from '@nexus/protocol'
import { bundleGuestSource, sourceConditions } from '../src/build/bundle.ts'
import { componentizeJs } from '../src/build/componentize.ts'
import { compileComponent } from '../src/build/compile.ts'
import { guestPrelude } from '../src/build/guest-prelude.ts'
import { keccakCost } from '../src/sandbox/fuel-schedule.ts'
import { defaultLimits } from '../src/sandbox/limits.ts'
import { loadCompiled } from '../src/sandbox/load-compiled.ts'
import { ComponentRunner } from '../src/sandbox/run-invocation.ts'
import { createSandbox } from '../src/sandbox/sandbox.ts'

const fixture = fileURLToPath(new URL('./fixtures/keccak-handler.ts', import.meta.url))
const info = { functionId: 'k', seq: 1n, trigger: 'http', chainId: 1n, blockNumber: 0n, timestampMs: 0n, randomSeed: `0x${'00'.repeat(32)}` }
const EMPTY_HASH = '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470'
const ANVIL_1 = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'
let runner: ComponentRunner
let dir: string

beforeAll(async () => {
  // viem's root export reaches `isows` (Node built-ins) unless resolved for the browser, as project builds do.
  const source = await bundleGuestSource({
    entryPoints: [fixture],
    conditions: [...sourceConditions, 'browser', 'import', 'default'],
    mainFields: ['module', 'main'],
    banner: { js: guestPrelude },
  })
  expect(source).toMatch(/from "nexus:function\/crypto@0.1.0"/)
  ;({ dir } = await compileComponent(await componentizeJs(source), {
    cacheDir: await mkdtemp(join(tmpdir(), 'nexus-host-keccak-')),
    memoryPages: defaultLimits.memoryPages,
  }))
  runner = new ComponentRunner(await loadCompiled(dir))
}, 120_000)

function run(req: object, limits = defaultLimits) {
  const outcome = runner.run(info, new TextEncoder().encode(JSON.stringify(req)), limits, () => null)
  const text = new TextDecoder().decode(outcome.output)
  return { ...outcome, text, json: outcome.status === Status.ok ? (JSON.parse(text) as Record<string, unknown>) : undefined }
}

test('viem, noble and the protocol module hash on the host: the known bytes, a Uint8Array of 32', () => {
  expect(run({ op: 'host', hex: '0x' }).json).toEqual({ hash: EMPTY_HASH, isUint8Array: true, length: 32 })
  const viem = run({ op: 'viem', hex: '0x', address: ANVIL_1 }).json
  expect(viem).toEqual({ hash: EMPTY_HASH, address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' })
  expect(viem!.address).toBe(getAddress(ANVIL_1))
  expect(run({ op: 'protocol', hex: '0x' }).json).toEqual({ hash: EMPTY_HASH })
  expect(run({ op: 'meta' }).json).toEqual({ outputLen: 32, blockLen: 136 })
  // Block boundaries (135, 136, 137 bytes: padding) and a view into a larger buffer.
  for (const size of [1, 135, 136, 137, 1000]) {
    const hex = toHex(Uint8Array.from({ length: size }, (_, i) => (i * 7 + size) & 255))
    for (const op of ['host', 'js', 'viem', 'protocol', 'view']) expect(run({ op, hex, address: ANVIL_1 }).json?.hash, `${op} ${size}`).toBe(keccak256(hex))
  }
})

test('the host path is metered by its input, the same fuel every run, far below the interpreter', () => {
  const hex = toHex(new Uint8Array(40).fill(0x61)) // the size of an address checksum's input
  const host = [run({ op: 'host', hex }), run({ op: 'host', hex })]
  expect(host[1]!.fuelUsed).toBe(host[0]!.fuelUsed)
  // What 10 more hashes cost, the rest of the invocation (JSON, hex) taken out.
  const perHash = (op: string) => {
    const t = performance.now()
    const fuel = Number(run({ op, hex, times: 11 }).fuelUsed - run({ op, hex, times: 1 }).fuelUsed) / 10
    return { fuel, ms: (performance.now() - t) / 10 }
  }
  const onHost = perHash('host')
  const inJs = perHash('js')
  console.log(
    `keccak of 40 bytes: ${onHost.fuel} fuel on the host path, ${inJs.fuel} in the interpreter (${(inJs.fuel / onHost.fuel).toFixed(0)}×); ` +
      `wall per hash incl. its invocation share: ${onHost.ms.toFixed(2)} vs ${inJs.ms.toFixed(2)} ms`,
  )
  expect(onHost.fuel).toBeGreaterThanOrEqual(keccakCost(40))
  expect(onHost.fuel * 50).toBeLessThan(inJs.fuel)

  // 10 KiB more input costs at least its blocks and its bytes across the boundary.
  const small = run({ op: 'zeros', n: 40 })
  const big = run({ op: 'zeros', n: 10_280 })
  expect(big.json?.hash).toBe(keccak256(new Uint8Array(10_280)))
  expect(big.fuelUsed - small.fuelUsed).toBeGreaterThanOrEqual(BigInt(keccakCost(10_280) - keccakCost(40)))
  // The price is taken before hashing: a fuel limit below it ends the invocation as out of fuel.
  const n = 1 << 20
  expect(run({ op: 'zeros', n }, { ...defaultLimits, fuel: keccakCost(n) }).status).toBe(Status.outOfFuel)
  const fed = run({ op: 'zeros', n })
  expect(fed.json?.hash).toBe(keccak256(new Uint8Array(n)))
  expect(fed.fuelUsed).toBeGreaterThan(BigInt(keccakCost(n)))
})

test('through the sandbox worker: the same hash and fuel as in-process', async () => {
  const sandbox = createSandbox()
  try {
    const input = new TextEncoder().encode(JSON.stringify({ op: 'viem', hex: '0x1234', address: ANVIL_1 }))
    const outcomes = []
    for (const reuse of [true, false])
      outcomes.push(await sandbox.execute({ codeHash: 'host-keccak', dir, info, input, limits: defaultLimits, reuse, read: async () => null }))
    const direct = run({ op: 'viem', hex: '0x1234', address: ANVIL_1 })
    for (const o of outcomes) {
      expect(o.status).toBe(Status.ok)
      expect(new TextDecoder().decode(o.output)).toBe(direct.text)
      expect(o.fuelUsed).toBe(direct.fuelUsed)
    }
  } finally {
    await sandbox.close()
  }
})
