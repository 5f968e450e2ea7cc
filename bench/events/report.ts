// The events bench's table: one per run and one of the medians, Ponder beside Nexus.
import type { NexusResult } from './nexus-run.ts'
import type { PonderResult } from './ponder-run.ts'
import { p50 } from './tip.ts'

export type RunResult = { ponder: PonderResult; nexus: NexusResult }

const gb = (bytes: number) => (bytes / 1e9).toFixed(2)
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/** The measures of one run, as numbers (so the medians are taken measure by measure). */
function measures({ ponder, nexus }: RunResult) {
  const perEvent = (seconds: number) => (seconds * 1000) / nexus.events
  return {
    ponderEps: ponder.events / ponder.readySeconds,
    ponderBackfillEps: ponder.indexingSeconds ? ponder.events / ponder.indexingSeconds : Number.NaN,
    nexusEps: nexus.events / nexus.attestedSeconds,
    // Past the deploy (its compile is a first deploy's, once per compile cache): the backfill alone.
    nexusBackfillEps: nexus.events / (nexus.attestedSeconds - nexus.deploy.seconds),
    // Until the spare (which applies a backlog after the first wave) has it too.
    nexusAppliedEps: nexus.events / nexus.appliedSeconds,
    ponderCpuMs: (ponder.cpuSeconds * 1000) / ponder.events,
    ponderBackfillCpuMs: ponder.backfillCpuSeconds === undefined ? Number.NaN : (ponder.backfillCpuSeconds * 1000) / ponder.events,
    replicaCpuMs: perEvent(sum(nexus.replicaCpuSeconds) / nexus.replicaCpuSeconds.length),
    replicaCpuMaxMs: perEvent(Math.max(...nexus.replicaCpuSeconds)),
    gatewayCpuMs: perEvent(nexus.gatewayCpuSeconds),
    deploySeconds: nexus.deploy.seconds,
    deployGatewayCpuMs: perEvent(nexus.deploy.gatewayCpuSeconds),
    ponderPeakRss: ponder.peakRssBytes,
    ponderAfterRss: ponder.afterRssBytes,
    nexusIdleRss: nexus.idleRss.gateway + sum(nexus.idleRss.replicas),
    nexusAfterRss: nexus.afterRss.gateway + sum(nexus.afterRss.replicas),
    nexusPeakRss: nexus.peakStackRss,
    gatewayIdleRss: nexus.idleRss.gateway,
    gatewayAfterRss: nexus.afterRss.gateway,
    replicaIdleRssMax: Math.max(...nexus.idleRss.replicas),
    replicaAfterRssMax: Math.max(...nexus.afterRss.replicas),
    ponderTipMs: p50(ponder.tipMs),
    nexusTipMs: p50(nexus.tipMs),
  }
}
type Measures = ReturnType<typeof measures>

function table(title: string, m: Measures): string {
  const ratio = (x: number, y: number) => `${(x / y).toFixed(3)}×`
  return [
    `\n${title}`,
    '| measure | Ponder | Nexus | Nexus ÷ Ponder |',
    '|---|---:|---:|---:|',
    `| events/s, start → indexed (Ponder: spawn → /ready; Nexus: deploy → all attested 3-of-4) | ${m.ponderEps.toFixed(1)} | ${m.nexusEps.toFixed(1)} | ${ratio(m.nexusEps, m.ponderEps)} |`,
    `| events/s, the backfill alone (Ponder: its "Completed backfill" span; Nexus: deployed → all attested) | ${m.ponderBackfillEps.toFixed(1)} | ${m.nexusBackfillEps.toFixed(1)} | ${ratio(m.nexusBackfillEps, m.ponderBackfillEps)} |`,
    `| events/s, deploy → every replica applied every event (the spare's catch-up included) | | ${m.nexusAppliedEps.toFixed(1)} | |`,
    `| CPU ms per event during the backfill (Ponder: its process tree over its backfill span; Nexus: per replica until all applied, avg / max) | ${m.ponderBackfillCpuMs.toFixed(2)} | ${m.replicaCpuMs.toFixed(2)} / ${m.replicaCpuMaxMs.toFixed(2)} | ${ratio(m.replicaCpuMs, m.ponderBackfillCpuMs)} |`,
    `| CPU ms per event, Ponder spawn → /ready (start-up included) | ${m.ponderCpuMs.toFixed(2)} | | |`,
    `| CPU ms per event, Nexus gateway process (in the bench process) | | ${m.gatewayCpuMs.toFixed(2)} | |`,
    `| of which the deploy (compile, push to the replicas; ${m.deploySeconds.toFixed(1)} s of the span) | | ${m.deployGatewayCpuMs.toFixed(2)} | |`,
    `| RSS GB, Ponder peak / after; Nexus stack idle / after (peak ${gb(m.nexusPeakRss)}) | ${gb(m.ponderPeakRss)} / ${gb(m.ponderAfterRss)} | ${gb(m.nexusIdleRss)} / ${gb(m.nexusAfterRss)} | ${ratio(m.nexusAfterRss, m.ponderAfterRss)} |`,
    `| RSS GB, Nexus gateway idle / after; largest replica idle / after | | ${gb(m.gatewayIdleRss)} / ${gb(m.gatewayAfterRss)}; ${gb(m.replicaIdleRssMax)} / ${gb(m.replicaAfterRssMax)} | |`,
    `| tip: Transfer mined → handled (Ponder: indexed; Nexus: attested), p50 ms, 100 ms polling, 0 confirmations | ${m.ponderTipMs.toFixed(0)} | ${m.nexusTipMs.toFixed(0)} | ${ratio(m.nexusTipMs, m.ponderTipMs)} |`,
  ].join('\n')
}

export function printRun(k: number, r: RunResult): void {
  console.log(table(`Run ${k}: ${r.nexus.events} Transfer events (${r.nexus.attested} attested)`, measures(r)))
}

export function printMedians(runs: RunResult[]): void {
  const all = runs.map(measures)
  const keys = Object.keys(all[0]!) as (keyof Measures)[]
  const m = Object.fromEntries(keys.map((k) => [k, median(all.map((x) => x[k]))])) as Measures
  console.log(table(`Median of ${runs.length} run(s)`, m))
}
