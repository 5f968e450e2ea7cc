// Triggers: (1) a backfill of N ERC-20 Transfer logs (default 10,000) — events/s from the log
// being appended to all results attested; (2) at the tip, latency from the block being mined to
// the attested result. anvil + 3-of-4 real replica processes + in-process gateway on PGlite.
// Backfill rates and the gateway's CPU count from the deploy's answer on.
// NEXUS_BENCH_TRIGGER_LOGS and NEXUS_BENCH_TRIGGER_TIP change the sizes; NEXUS_BENCH_TRIGGER_PROFILE=<file>
// writes a CPU profile (.cpuprofile) of this process, the gateway, over the backfill alone;
// NEXUS_BENCH_TRIGGER_BATCH="<maxBatchBacklog>,<batchTargetMs>" sets the batch-size controller.
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import type { Address } from 'viem'
import * as ExampleToken from '@nexus/contracts/generated/ExampleToken'
import { startAnvil } from '@nexus/contracts'
import { createClients, deployArtifact } from '@nexus/contracts'
import type { ChainSpec } from '@nexus/protocol'
import { deploy, invocationsOf, startChainGateway, startChainStack, transfersTo, triggerArtifact, until } from '../gateway/test/triggers.stack.ts'

/** A CPU profile of this process's main thread from now until stop(), when NEXUS_BENCH_TRIGGER_PROFILE names a file. */
async function startProfile() {
  const file = process.env.NEXUS_BENCH_TRIGGER_PROFILE
  if (!file) return undefined
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop')
      await writeFile(file, JSON.stringify(profile))
      session.disconnect()
    },
  }
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

export default async function (): Promise<void> {
  const LOGS = Number(process.env.NEXUS_BENCH_TRIGGER_LOGS ?? 10_000)
  const TIP = Number(process.env.NEXUS_BENCH_TRIGGER_TIP ?? 20)
  const anvil = await startAnvil({ args: ['--gas-limit', '100000000'] })
  const clients = createClients(anvil.rpcUrl)
  const stack = await startChainStack()
  let chainGateway: Awaited<ReturnType<typeof startChainGateway>> | undefined
  try {
    const { address: token } = await deployArtifact(clients, ExampleToken)
    const spec = (to: Address, startBlock: bigint) => transfersTo(token, to, startBlock)
    // Confirmations 0: the tip latency is then the pipeline's own (add N × block time for N confirmations).
    const chain: ChainSpec = { name: 'devnet', chainId: 31337, rpcUrl: anvil.rpcUrl, finality: { confirmations: 0 }, pollingIntervalMs: 100 }
    // NEXUS_BENCH_TRIGGER_BATCH="<maxBatchBacklog>,<batchTargetMs>" compares batch caps (default: the gateway's).
    const [maxBatchBacklog, batchTargetMs] = (process.env.NEXUS_BENCH_TRIGGER_BATCH ?? '').split(',').map((x) => (x ? Number(x) : undefined))
    chainGateway = await startChainGateway(stack, { name: 'bench', chains: [chain], batching: { maxBatchBacklog, batchTargetMs } })
    const { gateway, url } = chainGateway
    const send = async (functionName: 'mint' | 'transferMany', args: readonly [Address, bigint]) =>
      clients.public.waitForTransactionReceipt({ hash: await clients.wallet.writeContract({ address: token, abi: ExampleToken.abi, functionName, args }) })

    // 1. Backfill.
    const sink: Address = '0x00000000000000000000000000000000000b4c4f'
    const start = (await clients.public.getBlockNumber({ cacheTime: 0 })) + 1n
    await send('mint', [clients.wallet.account.address, BigInt(LOGS)])
    for (let left = LOGS; left > 0; left -= 1000) await send('transferMany', [sink, BigInt(Math.min(1000, left))])
    // Built before the clock starts: the backfill is measured, not the build of its handler.
    const artifact = await triggerArtifact('bench-backfill', [spec(sink, start)])
    // The clocks start once the deploy is answered: its component check (binaryen, seconds of CPU)
    // is the deploy's cost, not the event path's.
    await deploy(url, artifact)
    const profile = await startProfile()
    const t0 = performance.now()
    const cpu0 = process.cpuUsage()
    await until('all logs appended', async () => (await gateway.log.getFunction('bench-backfill'))!.lastSeq >= BigInt(LOGS), 3_600_000, 100)
    const appendedMs = performance.now() - t0
    await until('all attested', async () => (await gateway.log.firstPendingSeq('bench-backfill')) > BigInt(LOGS), 3_600_000, 500)
    const attestedMs = performance.now() - t0
    // This process is the gateway (the replicas are child processes): its CPU per event, user + system.
    const cpu = process.cpuUsage(cpu0)
    const gatewayCpuMs = (cpu.user + cpu.system) / 1000 / LOGS
    await profile?.stop()
    const metrics = gateway.metrics.render()
    const batches = metrics.match(/^nexus_batches_total (\d+)/m)?.[1] ?? '0'
    const cap = metrics.match(/^nexus_batch_cap\{function="bench-backfill"\} (\d+)/m)?.[1] ?? '-'

    // 2. Tip latency: one Transfer at a time, block mined → attested result.
    const tipSink: Address = '0x000000000000000000000000000000000000071b'
    await deploy(url, await triggerArtifact('bench-tip', [spec(tipSink, (await clients.public.getBlockNumber({ cacheTime: 0 })) + 1n)]))
    const latencies: number[] = []
    for (let k = 1; k <= TIP + 2; k++) {
      await send('mint', [tipSink, 1n])
      const mined = performance.now()
      const inv = await until('tip invocation', async () => (await invocationsOf(gateway, 'bench-tip')).find((i) => i.seq === BigInt(k)), 600_000, 5)
      const done = await gateway.scheduler.waitFor(inv.id, 600_000)
      if (done?.state !== 'attested') throw new Error('tip invocation not attested')
      if (k > 2) latencies.push(performance.now() - mined) // first two warm the lane and component
    }

    const rows = [
      [`backfill of ${LOGS} logs: appended to the log, events/s`, (LOGS / (appendedMs / 1000)).toFixed(0)],
      [`backfill of ${LOGS} logs: log → attested result, events/s`, (LOGS / (attestedMs / 1000)).toFixed(1)],
      [`backfill of ${LOGS} logs: gateway CPU per event (this process, user + system)`, `${gatewayCpuMs.toFixed(2)} ms`],
      [`backfill of ${LOGS} logs: batches attested`, batches],
      [`backfill of ${LOGS} logs: batch cap at the end (adapts from 256 toward 1024)`, cap],
      [`tip: block mined → attested result, p50 (${TIP} events, 0 confirmations, 100 ms polling)`, `${quantile(latencies, 0.5).toFixed(0)} ms`],
      ['tip: block mined → attested result, p95', `${quantile(latencies, 0.95).toFixed(0)} ms`],
    ]
    console.log('| measurement | value |\n|---|---:|')
    for (const [k, v] of rows) console.log(`| ${k} | ${v} |`)
  } finally {
    await chainGateway?.close() // the gateway and its trigger service (whose polling would keep the process alive)
    await Promise.all(stack.replicas.map((r) => r.stop()))
    await anvil.stop()
  }
}
