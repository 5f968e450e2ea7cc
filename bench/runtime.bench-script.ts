// Runtime benchmarks (issue 2): invocation latency, KV throughput per backend, metering overhead.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { zeroAddress } from 'viem'
import { buildHandler, createReplica, compileComponent, type Replica } from '@nexus/runtime'
import { createSandbox } from '@nexus/runtime'
import { loadCompiled } from '@nexus/runtime'
import { ComponentRunner } from '@nexus/runtime'
import { defaultLimits } from '@nexus/runtime'
import { transpile } from '@bytecodealliance/jco'
import { writeFile, mkdir } from 'node:fs/promises'

const enc = new TextEncoder()
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!
const ms = (x: number) => `${x.toFixed(3)} ms`

async function timeEach(n: number, f: (i: number) => Promise<unknown> | unknown): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await f(i)
    out.push(performance.now() - t)
  }
  return out
}

export default async function () {
  const fixture = fileURLToPath(new URL('../runtime/test/fixtures/mixed-handler.ts', import.meta.url))
  const artifact = await buildHandler(fixture, { name: 'bench', limits: { fuel: 1_000_000_000 } })
  const cacheDir = await mkdtemp(join(tmpdir(), 'nexus-bench-'))
  const { dir } = await compileComponent(artifact.component, { cacheDir, memoryPages: 2048 })
  const info = { functionId: 'b', seq: 1n, trigger: 'http', chainId: 1n, blockNumber: 0n, timestampMs: 0n, randomSeed: `0x${'11'.repeat(32)}` }
  const noState = async () => null
  const echo = enc.encode('{"op":"echo"}')
  const rows: string[][] = []

  // 1. Fresh-state invocation of a trivial handler, three ways, vs a direct JS call.
  const runner = new ComponentRunner(await loadCompiled(dir))
  const read = (() => null) as never
  for (let i = 0; i < 50; i++) runner.run(info, echo, defaultLimits, read)
  const inProcess = await timeEach(2000, () => runner.run(info, echo, defaultLimits, read))
  const freshInst = await timeEach(200, () => runner.run(info, echo, defaultLimits, read, false))
  const sandbox = createSandbox()
  for (let i = 0; i < 50; i++) await sandbox.execute({ codeHash: artifact.manifest.codeHash, dir, info, input: echo, limits: defaultLimits, read: noState })
  const viaWorker = await timeEach(2000, () =>
    sandbox.execute({ codeHash: artifact.manifest.codeHash, dir, info, input: echo, limits: defaultLimits, read: noState }),
  )
  const direct = (input: Uint8Array) => {
    const req = JSON.parse(new TextDecoder().decode(input)) as { op: string }
    return req.op === 'echo' ? input : undefined
  }
  const baseline = await timeEach(20000, () => direct(echo))
  rows.push(['trivial handler, snapshot reset, in-process', ms(pct(inProcess, 50)), ms(pct(inProcess, 99))])
  rows.push(['trivial handler, snapshot reset, via sandbox worker', ms(pct(viaWorker, 50)), ms(pct(viaWorker, 99))])
  rows.push(['trivial handler, brand-new instance each call', ms(pct(freshInst, 50)), ms(pct(freshInst, 99))])
  rows.push(['baseline: same logic as a direct JS call', ms(pct(baseline, 50)), ms(pct(baseline, 99))])
  console.log('| invocation latency | p50 | p99 |\n|---|---|---|')
  for (const r of rows) console.log(`| ${r.join(' | ')} |`)
  console.log(`\nratio p50 (worker vs direct JS): ${(pct(viaWorker, 50) / pct(baseline, 50)).toFixed(0)}×`)

  // 2. Fuel metering overhead on a CPU-bound handler: metered vs the same component un-metered.
  const { files } = await transpile(artifact.component, { name: 'component', instantiation: 'sync', noTypescript: true })
  const plainDir = join(cacheDir, 'unmetered')
  await mkdir(plainDir, { recursive: true })
  for (const [name, bytes] of Object.entries(files)) if (!name.includes('/')) await writeFile(join(plainDir, name), bytes)
  const plain = new ComponentRunner(await loadCompiled(plainDir))
  const spin = enc.encode('{"op":"spin","n":2000000}')
  plain.run(info, spin, defaultLimits, read)
  runner.run(info, spin, defaultLimits, read)
  const tPlain = await timeEach(5, () => plain.run(info, spin, defaultLimits, read))
  const tMetered = await timeEach(5, () => runner.run(info, spin, defaultLimits, read))
  console.log('\n| CPU-bound handler (2M loop iterations) | median |\n|---|---|')
  console.log(`| un-metered | ${ms(pct(tPlain, 50))} |\n| metered | ${ms(pct(tMetered, 50))} |`)
  console.log(`\nmetering overhead: ${((pct(tMetered, 50) / pct(tPlain, 50) - 1) * 100).toFixed(1)}%`)
  await sandbox.close()

  // 3. KV write/read throughput through a replica (each invocation = one committed transaction).
  console.log('\n| KV through a replica (1 key per invocation) | writes/s | reads/s |\n|---|---|---|')
  const backends: [string, Partial<Parameters<typeof createReplica>[0]>][] = [['PGlite', { dataDir: join(cacheDir, 'pglite') }]]
  if (process.env.DATABASE_URL) backends.push(['PostgreSQL', { databaseUrl: process.env.DATABASE_URL, schema: `bench_${Date.now().toString(36)}` }])
  for (const [name, store] of backends) {
    const replica: Replica = await createReplica({ index: 1, cacheDir, chainId: 1n, verifier: zeroAddress, requireVersions: false, ...store })
    const { codeHash } = await replica.deploy(artifact)
    let seq = 0
    const call = (op: object) =>
      replica.execute({ functionId: 'kv', codeHash, seq: BigInt(++seq), input: enc.encode(JSON.stringify(op)), trigger: 'http', timestampMs: 0n })
    const n = 300
    let t = performance.now()
    for (let i = 0; i < n; i++) await call({ op: 'incr', key: `k${i}` })
    const writes = n / ((performance.now() - t) / 1000)
    t = performance.now()
    for (let i = 0; i < n; i++) await call({ op: 'cat', path: 'missing' })
    const reads = n / ((performance.now() - t) / 1000)
    console.log(`| ${name} | ${writes.toFixed(0)} | ${reads.toFixed(0)} |`)
    await replica.close()
  }
}
