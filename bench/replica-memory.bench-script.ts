// Where one replica's resident memory goes (issue 18: ≤ 250 MB per replica idle and after a
// 10,000-event backfill). One real `nexus replica` process, started as `nexus dev` starts it (same
// Node flags, same environment), is deployed the token example's `balances` function and fed
// batches of ERC-20 Transfer invocations over its signed HTTP API, as the gateway sends them.
// Its RSS is read from /proc/<pid>/smaps, split into WebAssembly memories (PGlite's, the guests'),
// malloc's arenas, other anonymous memory (V8's heaps and code, large mapped blocks) and file
// mappings (events/smaps.ts): idle, after the deploy, after the backfill and once more after
// NEXUS_BENCH_SETTLE_S (5) idle seconds. As in the events bench and `npm start`, the component is
// compiled into a compile cache the replica shares (there by the gateway's deploy check, here by
// this process); NEXUS_BENCH_OWN_COMPILE=1 lets the replica compile it itself. NEXUS_BENCH_BATCH
// (256) and NEXUS_BENCH_BATCHES (40) change the backfill; NEXUS_BENCH_RECIPIENTS (1) the number of
// distinct recipients. NEXUS_BENCH_SMAPS_DIR=DIR keeps each reading's smaps file there.
import { mkdtemp, rm } from 'node:fs/promises'
import { readFileSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Hex } from 'viem'
import { transferInput } from './fixtures/transfer-input.ts'
import { compileComponent, signRequest } from '@nexus/runtime'
import { buildTokenBalancesFunction } from './fixtures/token-balances.ts'
import { ensureGatewayKey, ensureKeys, startReplica } from '@nexus/cli/dev'
import { executeBatchRequestJson, versionsJson, type ExecuteRequest } from '@nexus/protocol'
import { formatSmaps, smapsSummary } from './events/smaps.ts'

const BATCH = Number(process.env.NEXUS_BENCH_BATCH ?? 256)
const BATCHES = Number(process.env.NEXUS_BENCH_BATCHES ?? 40)
const RECIPIENTS = Number(process.env.NEXUS_BENCH_RECIPIENTS ?? 1)

function transfer(i: number, functionId: string, codeHash: Hex): ExecuteRequest {
  const { input, blockNumber } = transferInput(i, RECIPIENTS)
  const timestampMs = 1_700_000_000_000n + blockNumber * 12_000n
  return { functionId, codeHash, seq: BigInt(i + 1), input, trigger: 'event', timestampMs, chainId: 31337n, blockNumber }
}

/** User and system CPU seconds of one process (all its threads). */
function cpuSeconds(pid: number): { user: number; system: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return { user: Number(f[11]) / 100, system: Number(f[12]) / 100 }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The replica's own memory gauges from GET /metrics (main thread's heap, the sandbox cache). */
async function metrics(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text()
  return Object.fromEntries([...text.matchAll(/^([a-z_]+) (\d+)$/gm)].map(([, name, value]) => [name!, Number(value)]))
}

export default async function () {
  if (process.platform !== 'linux') throw new Error('replica-memory reads /proc/<pid>/smaps: Linux only')
  const balances = await buildTokenBalancesFunction()
  const root = await mkdtemp(join(tmpdir(), 'nexus-bench-replica-memory-'))
  const keysDir = join(root, 'keys')
  await ensureKeys(keysDir, { t: 3, n: 4 })
  const gatewayKey = await ensureGatewayKey(keysDir)
  const compileCache = process.env.NEXUS_BENCH_OWN_COMPILE === '1' ? undefined : join(root, 'compiled')
  if (compileCache) await compileComponent(balances.component!, { cacheDir: compileCache, memoryPages: balances.manifest!.limits.memoryPages })
  const dataDir = join(root, 'replica-1')
  const replica = await startReplica({ index: 1, dataDir, keyFile: join(keysDir, 'replica-1.key.json'), compileCache })
  const pid = replica.child.pid!
  const send = async (method: string, path: string, json: unknown) => {
    const body = Buffer.from(JSON.stringify(json))
    const res = await fetch(`${replica.url}${path}`, {
      method,
      body,
      headers: { 'content-type': 'application/json', ...signRequest(gatewayKey, method, path, body) },
    })
    const text = await res.text()
    if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`)
    return JSON.parse(text) as unknown
  }
  const report = async (label: string) => {
    const m = await metrics(replica.url)
    const heap = [m.nodejs_heap_used_bytes, m.nodejs_heap_total_bytes, m.nodejs_external_memory_bytes].map((b) => ((b ?? 0) / 1024 ** 2).toFixed(0)).join(' / ')
    const cache = ((m.nexus_sandbox_cache_bytes ?? 0) / 1024 ** 2).toFixed(1)
    console.log(`| ${label} | ${formatSmaps(smapsSummary(pid)!)} | ${heap} | ${cache} |`)
    if (process.env.NEXUS_BENCH_SMAPS_DIR)
      writeFileSync(join(process.env.NEXUS_BENCH_SMAPS_DIR, `${label.replace(/ /g, '-')}.smaps`), readFileSync(`/proc/${pid}/smaps`))
  }
  try {
    console.log(
      `${BATCH * BATCHES} Transfer events in ${BATCHES} batches of ${BATCH}, ${RECIPIENTS} recipient(s), ${compileCache ? 'compiled beforehand' : 'compiled by the replica'}`,
    )
    console.log(
      `load average (1/5/15 min) at start: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' / ')}\n`,
    )
    console.log('| replica | RSS, MB | main-thread heap used / total / external, MB | sandbox cache MB |\n|---|---|---:|---:|')
    await sleep(2000)
    await report('idle')
    const { codeHash } = (await send('POST', '/v1/artifacts', {
      manifest: balances.manifest,
      component: Buffer.from(balances.component!).toString('base64'),
    })) as { codeHash: Hex }
    await send('PUT', `/v1/functions/${balances.id}/versions`, { versions: versionsJson([{ fromSeq: 1n, codeHash }]) })
    await sleep(1000)
    await report('deployed')
    const cpu0 = cpuSeconds(pid)
    const t0 = performance.now()
    for (let b = 0; b < BATCHES; b++) {
      const requests = Array.from({ length: BATCH }, (_, k) => transfer(b * BATCH + k, balances.id, codeHash))
      const answer = (await send('POST', '/v1/execute-batch', executeBatchRequestJson(requests))) as { results: { fields: { status: number } }[] }
      const failed = answer.results.find((r) => r.fields.status !== 0)
      if (failed) throw new Error(`an invocation failed: ${JSON.stringify(failed).slice(0, 300)}`)
      if (b === Math.floor(BATCHES / 2)) await report(`after ${(b + 1) * BATCH} events`)
    }
    const cpu1 = cpuSeconds(pid)
    const [user, system] = [cpu1.user - cpu0.user, cpu1.system - cpu0.system]
    const wall = (performance.now() - t0) / 1000
    await report(`after ${BATCH * BATCHES} events`)
    const settle = Number(process.env.NEXUS_BENCH_SETTLE_S ?? 5)
    await sleep(settle * 1000)
    await report(`${settle} s later`)
    const perEvent = (((user + system) / (BATCH * BATCHES)) * 1000).toFixed(2)
    console.log(`\nbackfill: ${wall.toFixed(1)} s; replica CPU ${user.toFixed(1)} s user + ${system.toFixed(1)} s system (${perEvent} ms per event)`)
  } finally {
    await replica.stop()
    await rm(root, { recursive: true, force: true })
  }
}
