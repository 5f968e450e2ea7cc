// `npm run bench -- events`: Nexus against Ponder on the same chain, in the same run. Each run
// makes a fresh anvil chain (ExampleToken, one mint and N Transfer logs), lets a pinned Ponder
// (installed outside the repository) index it into PGlite, then the real Nexus stack (4 replica
// processes, t = 3, gateway on PGlite) with examples/token's `balances` handler; each side then
// takes a tip latency (one Transfer at a time, mined → handled: Ponder indexed, Nexus attested).
// Prints events/s, CPU per event, resident memory and tip p50 side by side, then the medians.
// NEXUS_BENCH_EVENTS (default 10,000), NEXUS_BENCH_EVENTS_RUNS (default 3) and
// NEXUS_BENCH_EVENTS_TIP (tip Transfers per side, default 10; 0 skips) change the sizes;
// NEXUS_BENCH_PROFILE=1 runs replica 1 of the first run under --cpu-prof and summarizes it;
// NEXUS_BENCH_GATEWAY_PROFILE=1 profiles the gateway (this process's main thread) over that backfill.
import { mkdtemp, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { makeChain } from './events/chain.ts'
import { printProfiles, summarizeProfiles, type Window } from './events/cpu-profile.ts'
import { buildTokenBalances, keepEngineMetered } from './events/nexus-build.ts'
import { runNexus } from './events/nexus-run.ts'
import { ensurePonder, PONDER_VERSION, ponderHome } from './events/ponder-install.ts'
import { writePonderProject } from './events/ponder-project.ts'
import { ponderIndexed, runPonder } from './events/ponder-run.ts'
import { measureTip } from './events/tip.ts'
import { note, step } from './events/progress.ts'
import { printMedians, printRun, type RunResult } from './events/report.ts'

const load = async () => (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')

export default async function (): Promise<void> {
  const transfers = Number(process.env.NEXUS_BENCH_EVENTS ?? 10_000)
  const runCount = Number(process.env.NEXUS_BENCH_EVENTS_RUNS ?? 3)
  const tip = Number(process.env.NEXUS_BENCH_EVENTS_TIP ?? 10)
  const profile = process.env.NEXUS_BENCH_PROFILE === '1'
  const cacheDir = join(ponderHome(), '..')
  note(`${transfers} transfers (+1 mint), ${runCount} run(s); load average at start: ${await load()}`)
  const { home, bin, installed } = await step(`Ponder ${PONDER_VERSION}: install into ${ponderHome()} (reused when present)`, ensurePonder)
  if (!installed) note('Ponder: already installed')
  const fn = await step('Nexus: build examples/token (nexus build pipeline, cached)', () => buildTokenBalances(cacheDir))
  await step("Nexus: the QuickJS engine metered in this user's Nexus cache (kept from earlier deploys when there)", () => keepEngineMetered(fn))
  const profileDir = profile ? await mkdtemp(join(cacheDir, 'profile-')) : undefined
  const gatewayProfileDir = process.env.NEXUS_BENCH_GATEWAY_PROFILE === '1' ? await mkdtemp(join(cacheDir, 'gateway-profile-')) : undefined

  const results: RunResult[] = []
  let profiledWindow: Window | undefined
  for (let k = 1; k <= runCount; k++) {
    const chain = await step(`run ${k}: chain (anvil, ExampleToken, ${transfers} transfers)`, () => makeChain(transfers, fn.token))
    try {
      const ponder = await step(`run ${k}: Ponder (spawn → /ready, then ${tip} tip Transfers)`, async () => {
        const root = join(home, 'app')
        await writePonderProject({ root, rpcUrl: chain.anvil.rpcUrl, token: chain.token, pollingIntervalMs: 100 })
        return runPonder({ bin, root, events: chain.events, whileLive: (url) => measureTip(chain, tip, (block) => ponderIndexed(url, block)) })
      })
      const nexus = await runNexus({
        label: `run ${k}: Nexus`,
        chain,
        fn,
        tip,
        profileDir: k === 1 ? profileDir : undefined,
        gatewayProfileDir: k === 1 ? gatewayProfileDir : undefined,
      })
      results.push({ ponder, nexus })
      if (k === 1) profiledWindow = nexus.window
      printRun(k, results.at(-1)!)
    } finally {
      await chain.anvil.stop()
    }
  }
  printMedians(results)
  note(`load average at end: ${await load()}`)
  if (profileDir) {
    note(`CPU profiles of replica 1, run 1 (one per thread: main, module loader, sandbox worker) in ${profileDir}`)
    printProfiles(await summarizeProfiles(profileDir, 15, profiledWindow))
  }
  if (gatewayProfileDir) {
    note(`CPU profile of the gateway (this process's main thread), run 1's backfill, in ${gatewayProfileDir}`)
    printProfiles(await summarizeProfiles(gatewayProfileDir, 15, profiledWindow))
  }
}
