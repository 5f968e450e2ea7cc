// One replica's CPU per event during a backfill (issue 18: ≤ 0.5 ms per event per replica). The
// token example's `balances` handler (built by the real `nexus build`), a real replica on PGlite
// (on disk, as `nexus replica` runs it) with a key share, served by its real HTTP server, fed
// batches of ERC-20 Transfer invocations as the gateway sends them: POST /v1/execute-batch, signed,
// consecutive seqs of one function. CPU is read per thread from /proc (Linux): the main thread
// (HTTP, JSON, store, PGlite, digests, signing), the sandbox worker (the guest), and the rest
// (V8's GC and compiler threads, libuv). Bodies and their signatures are made before the clock starts.
// NEXUS_BENCH_BATCH (256), NEXUS_BENCH_BATCHES (8) and NEXUS_BENCH_RECIPIENTS (1: every Transfer
// goes from one sender to one sink, as in the triggers bench's backfill) change the run.
// NEXUS_BENCH_CPU_PROFILE=DIR writes the main thread's profile of the measured batches there (run
// under `node --cpu-prof --cpu-prof-dir=DIR` for the worker's too; bench/cpu-profile-summary.ts
// summarises them).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { readdirSync, readFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { transferInput } from './fixtures/transfer-input.ts'
import { createReplica, createReplicaServer, signRequest } from '@nexus/runtime'
import { buildTokenBalancesFunction } from './fixtures/token-balances.ts'
import { dealerKeygen } from '@nexus/protocol/attest'
import { executeBatchRequestJson, type ExecuteRequest } from '@nexus/protocol'

const BATCH = Number(process.env.NEXUS_BENCH_BATCH ?? 256)
const BATCHES = Number(process.env.NEXUS_BENCH_BATCHES ?? 8)
const RECIPIENTS = Number(process.env.NEXUS_BENCH_RECIPIENTS ?? 1)

/** CPU ticks (1/100 s) per thread of this process, by thread id. */
function threadTicks(): Map<number, number> {
  const ticks = new Map<number, number>()
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      ticks.set(Number(tid), Number(fields[11]) + Number(fields[12]))
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ticks
}

const delta = (after: Map<number, number>, before: Map<number, number>, tid: number) => ((after.get(tid) ?? 0) - (before.get(tid) ?? 0)) * 10

export default async function () {
  if (process.platform !== 'linux') throw new Error('replica-batch reads per-thread CPU from /proc: Linux only')
  const balances = await buildTokenBalancesFunction()
  const root = await mkdtemp(join(tmpdir(), 'nexus-bench-replica-batch-'))
  const keys = dealerKeygen({ t: 3, n: 4 })
  const replica = await createReplica({
    index: 1,
    dataDir: join(root, 'pglite'),
    cacheDir: join(root, 'cache'),
    shareKey: keys.shares[0],
    chainId: 31337n,
    verifier: '0x0000000000000000000000000000000000000000',
  })
  const gatewayKey = new TextEncoder().encode('bench-gateway-key-0123456789abcdef')
  const server = createReplicaServer(replica, { gatewayKey })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  try {
    const { codeHash } = await replica.deploy({ component: balances.component!, manifest: balances.manifest! })
    await replica.bindVersions(balances.id, [{ fromSeq: 1n, codeHash }])
    // Batch 0 warms up (compile, first instance, caches); batches 1..BATCHES are measured.
    const bodies: { body: string; headers: Record<string, string> }[] = []
    for (let b = 0; b <= BATCHES; b++) {
      const requests: ExecuteRequest[] = []
      for (let k = 0; k < BATCH; k++) {
        const i = b * BATCH + k
        const { input, blockNumber } = transferInput(i, RECIPIENTS)
        requests.push({
          functionId: balances.id,
          codeHash,
          seq: BigInt(i + 1),
          input,
          trigger: 'event',
          timestampMs: 1_700_000_000_000n + blockNumber * 12_000n,
          chainId: 31337n,
          blockNumber,
        })
      }
      const body = JSON.stringify(executeBatchRequestJson(requests))
      bodies.push({ body, headers: { 'content-type': 'application/json', ...signRequest(gatewayKey, 'POST', '/v1/execute-batch', Buffer.from(body)) } })
    }
    const send = async ({ body, headers }: (typeof bodies)[number]) => {
      const res = await fetch(`${url}/v1/execute-batch`, { method: 'POST', body, headers })
      const text = await res.text()
      if (res.status !== 200) throw new Error(`execute-batch answered ${res.status}: ${text.slice(0, 300)}`)
      const answer = JSON.parse(text) as { results: { fields: { status: number; fuelUsed: string } }[] }
      const failed = answer.results.find((r) => r.fields.status !== 0)
      if (failed) throw new Error(`an invocation failed: ${JSON.stringify(failed).slice(0, 300)}`)
      return answer
    }
    const known = new Set(threadTicks().keys())
    const warm = await send(bodies[0]!)
    // The sandbox worker is the thread the first execute started.
    const newThreads = [...threadTicks().keys()].filter((t) => !known.has(t))
    await new Promise((r) => setTimeout(r, 400)) // let the warm-up's write-behind flush land

    const profileDir = process.env.NEXUS_BENCH_CPU_PROFILE
    const session = profileDir ? new Session() : undefined
    if (session) {
      session.connect()
      await session.post('Profiler.enable')
      await session.post('Profiler.start')
    }
    const loadBefore = loadavg()
    const ticks0 = threadTicks()
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    for (let b = 1; b <= BATCHES; b++) await send(bodies[b]!)
    const wall = performance.now() - t0
    // The write-behind flush (every 250 ms) is part of the cost: wait for it, idle, before reading the clocks.
    await new Promise((r) => setTimeout(r, 400))
    const cpu = process.cpuUsage(cpu0)
    const ticks1 = threadTicks()
    if (session && profileDir) {
      const { profile } = await session.post('Profiler.stop')
      await mkdir(profileDir, { recursive: true })
      await writeFile(join(profileDir, 'main-measured.cpuprofile'), JSON.stringify(profile))
      session.disconnect()
    }
    const events = BATCH * BATCHES
    const main = delta(ticks1, ticks0, process.pid)
    const worker = newThreads.reduce((n, t) => n + delta(ticks1, ticks0, t), 0)
    const total = (cpu.user + cpu.system) / 1000
    const per = (x: number) => (x / events).toFixed(3)
    console.log(`${events} Transfer events in ${BATCHES} batches of ${BATCH} (after a warm-up batch), ${RECIPIENTS} recipient(s)`)
    console.log(`fuel per event: ${warm.results[1]!.fields.fuelUsed}`)
    console.log(`load average (1/5/15 min) at start: ${loadBefore.map((l) => l.toFixed(2)).join(' / ')}\n`)
    console.log('| per event | ms |\n|---|---:|')
    console.log(`| wall (batch sent → answer read) | ${per(wall)} |`)
    console.log(`| CPU, main thread | ${per(main)} |`)
    console.log(`| CPU, sandbox worker thread | ${per(worker)} |`)
    console.log(`| CPU, other threads (GC, compiler, libuv) | ${per(Math.max(0, total - main - worker))} |`)
    console.log(`| CPU, whole process (process.cpuUsage) | ${per(total)} |`)
  } finally {
    await new Promise((r) => server.close(r))
    await replica.close()
    await rm(root, { recursive: true, force: true })
  }
}
