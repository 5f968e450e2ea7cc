// One Nexus measurement: the real stack (4 replica processes, t = 3, gateway on PGlite in this
// process) follows the bench chain with examples/token's `balances` function, 0 confirmations.
// Timed from the deploy to every Transfer's result attested (3-of-4), and on to every replica having
// applied every Transfer (the spare, which applies a backlog after the first wave, included); CPU
// per event from /proc for each replica and for the gateway (this process: gateway + the bench's
// polling, and the deploy check's compile process) over that whole span; RSS of the stack idle
// before the deploy and once every replica applied the backfill.
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import type { ChainSpec } from '@nexus/protocol'
import { createReplicaClient } from '@nexus/gateway'
import { deploy, startChainGateway, startChainStack, until } from '../../gateway/test/triggers.stack.ts'
import type { TokenFunction } from './nexus-build.ts'
import { childrenWith, cpuSecondsOf, processTree, rssBytes, sampler, treeCpuSeconds, treeRssBytes } from './proc-stats.ts'
import { note, step } from './progress.ts'
import { formatSmaps, smapsSummary } from './smaps.ts'
import type { BenchChain } from './chain.ts'
import { measureTip } from './tip.ts'
import { monotonicUs, type Window } from './cpu-profile.ts'

export type NexusResult = {
  events: number
  /** Deploy → all results attested, seconds. */
  attestedSeconds: number
  /** Deploy → every replica applied every event (the spare included), seconds. */
  appliedSeconds: number
  /** The deploy request alone (the gateway's compile and its push to the replicas), inside the backfill's span: wall and gateway CPU seconds. */
  deploy: { seconds: number; gatewayCpuSeconds: number }
  /** CPU seconds from the deploy until every replica applied every event, per replica (index order) and of the gateway process. */
  replicaCpuSeconds: number[]
  gatewayCpuSeconds: number
  /** Resident bytes, gateway process then replicas (index order), idle before the deploy and after the backfill. */
  idleRss: { gateway: number; replicas: number[] }
  afterRss: { gateway: number; replicas: number[] }
  /** Peak resident bytes of the whole stack during the backfill (sampled). */
  peakStackRss: number
  attested: number
  /** Tip latencies, ms: Transfer mined → its result attested. */
  tipMs: number[]
  /** The backfill's span on the monotonic clock, until every replica applied it (to cut a replica's CPU profile to it). */
  window: Window
}

/**
 * The gateway's deploy check compiles in a child process (runtime's build/compile-in-child.ts,
 * entry compile-worker): its CPU and memory are the gateway's. Live, it is read from /proc; once it
 * has ended (2 s idle), its CPU is in this process's reaped-children time, which the replicas
 * (stopped after the measurement) and Ponder (reaped before the Nexus run) leave unchanged meanwhile.
 */
const compileChildren = () => childrenWith(process.pid, 'compile-worker')
const gatewayCpuSeconds = () => compileChildren().reduce((sum, pid) => sum + cpuSecondsOf(pid), cpuSecondsOf(process.pid))
const gatewayRssBytes = () => compileChildren().reduce((sum, pid) => sum + rssBytes(pid), rssBytes(process.pid))

/**
 * The gateway's main thread profiled in-process (it runs in this process) over `work`, written to
 * `dir/gateway.cpuprofile`; the profiler's own cost lands in the gateway's CPU figure.
 */
async function profiled<T>(dir: string | undefined, work: () => Promise<T>): Promise<T> {
  if (!dir) return work()
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  try {
    return await work()
  } finally {
    const { profile } = await session.post('Profiler.stop')
    session.disconnect()
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'gateway.cpuprofile'), JSON.stringify(profile))
  }
}

/**
 * `label` prefixes its progress lines (`run 2: Nexus`). `profileDir`: replica 1 under --cpu-prof;
 * `gatewayProfileDir`: the gateway's main thread profiled over the backfill.
 */
export async function runNexus(p: {
  label: string
  chain: BenchChain
  fn: TokenFunction
  tip: number
  profileDir?: string
  gatewayProfileDir?: string
}): Promise<NexusResult> {
  const events = p.chain.events
  // With a profile directory, replica 1 runs under --cpu-prof (V8 writes one .cpuprofile per thread at exit).
  const nodeArgs = (index: number) => (p.profileDir && index === 1 ? ['--cpu-prof', `--cpu-prof-dir=${p.profileDir}`] : [])
  // As `npm start` runs the stack: one compile cache for the replicas and the gateway, so a deploy
  // is compiled once (by the gateway's deploy check), not once more by every replica.
  // NEXUS_BENCH_OWN_COMPILE=1: each replica compiles on its own, as replicas on separate hosts do.
  const sharedCompileCache = process.env.NEXUS_BENCH_OWN_COMPILE !== '1'
  const stack = await step(`${p.label}: start 4 replicas`, () => startChainStack({ nodeArgs, sharedCompileCache }))
  let chainGateway: Awaited<ReturnType<typeof startChainGateway>> | undefined
  try {
    const chain: ChainSpec = { name: 'devnet', chainId: 31337, rpcUrl: p.chain.anvil.rpcUrl, finality: { confirmations: 0 }, pollingIntervalMs: 100 }
    chainGateway = await step(`${p.label}: start the gateway`, () => startChainGateway(stack, { name: 'events', chains: [chain] }))
    const { gateway, url } = chainGateway
    const pids = stack.replicas.map((r) => r.child.pid!)
    const rssNow = () => ({ gateway: gatewayRssBytes(), replicas: pids.map(treeRssBytes) })
    await new Promise((r) => setTimeout(r, 2000)) // settle after start-up
    const idleRss = rssNow()
    // Where the memory is (WebAssembly, malloc, V8 and other anonymous, files), gateway and replica 1.
    const whereMemory = (when: string) => {
      for (const [name, pid] of [
        ['gateway', process.pid],
        ['replica 1', pids[0]!],
      ] as const) {
        const summary = smapsSummary(pid)
        if (summary) note(`${p.label}: ${name} ${when}, MB: ${formatSmaps(summary)}`)
      }
    }
    whereMemory('idle')
    const cpu0 = { gateway: gatewayCpuSeconds(), replicas: pids.map(treeCpuSeconds) }
    // The replicas' process trees are listed once (they fork nothing during a backfill): walking
    // /proc for them at every sample was ≈ 0.4 s of this process's CPU, counted as the gateway's.
    const sampled = pids.flatMap(processTree)
    const peak = sampler(() => sampled.reduce((s, pid) => s + rssBytes(pid), gatewayRssBytes()))
    const t0 = performance.now()
    const startUs = monotonicUs()
    const deployed = { seconds: 0, gatewayCpuSeconds: 0 }
    const attestedSeconds = await step(`${p.label}: backfill of ${events} events (deploy → all attested)`, () =>
      profiled(p.gatewayProfileDir, async () => {
        const res = await deploy(url, p.fn.artifact)
        if (!res.ok) throw new Error(`deploy failed: ${res.status} ${await res.text()}`)
        // Each run's stack has a fresh compile cache, so the deploy compiles (jco + binaryen) in this process.
        deployed.seconds = (performance.now() - t0) / 1000
        deployed.gatewayCpuSeconds = gatewayCpuSeconds() - cpu0.gateway
        await until('all events appended', async () => ((await gateway.log.getFunction(p.fn.id))?.lastSeq ?? 0n) >= BigInt(events), 3_600_000, 100)
        await until('all attested', async () => (await gateway.log.firstPendingSeq(p.fn.id)) > BigInt(events), 3_600_000, 200)
        return (performance.now() - t0) / 1000
      }),
    )
    const clients = stack.replicas.map((r, i) => createReplicaClient({ index: i + 1, url: r.url, gatewayKey: stack.gatewayKey }))
    const appliedSeconds = await step(`${p.label}: every replica applied every event (the spare catching up)`, async () => {
      const applied = async () => (await Promise.all(clients.map((c) => c.state(p.fn.id)))).every((s) => (s?.lastAppliedSeq ?? -1n) >= BigInt(events))
      await until('every replica applied', applied, 3_600_000, 200)
      return (performance.now() - t0) / 1000
    })
    const window = { startUs, endUs: monotonicUs() }
    const cpu1 = { gateway: gatewayCpuSeconds(), replicas: pids.map(treeCpuSeconds) }
    const afterRss = rssNow()
    whereMemory('after the backfill (every replica applied it)')
    const peakStackRss = peak.stop()
    const invocations = await gateway.log.range(p.fn.id, 0n, events + 10)
    const attested = invocations.filter((i) => i.state === 'attested').length
    if (invocations.length !== events) throw new Error(`the gateway logged ${invocations.length} invocations for ${events} Transfers`)
    // Tip: the k-th tip Transfer is seq events + k; handled = its result attested.
    const tipMs = await step(`${p.label}: tip latency (${p.tip} Transfers)`, () =>
      measureTip(p.chain, p.tip, async (_block, k) => {
        const seq = BigInt(events + k)
        const inv = await until('tip invocation', async () => (await gateway.log.range(p.fn.id, seq - 1n, 1)).find((i) => i.seq === seq), 600_000, 5)
        const done = await gateway.scheduler.waitFor(inv.id, 600_000)
        if (done?.state !== 'attested') throw new Error(`tip invocation ${seq} not attested`)
      }),
    )
    return {
      events,
      tipMs,
      attestedSeconds,
      appliedSeconds,
      deploy: deployed,
      replicaCpuSeconds: cpu1.replicas.map((c, i) => c - cpu0.replicas[i]!),
      gatewayCpuSeconds: cpu1.gateway - cpu0.gateway,
      idleRss,
      afterRss,
      peakStackRss,
      attested,
      window,
    }
  } finally {
    await chainGateway?.close()
    await Promise.all(stack.replicas.map((r) => r.stop()))
    await rm(stack.root, { recursive: true, force: true })
  }
}
