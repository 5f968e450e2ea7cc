// One Ponder measurement: `ponder start` as a child process (its own process group), timed from
// the spawn to /ready answering 200 (Ponder's "historical indexing is complete"), with the CPU
// seconds of its process tree at that moment and its resident memory sampled throughout.
import { freePort } from '@nexus/testkit/nats-cluster'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { processTree, sampler, startTicks, treeCpuSeconds, treeRssBytes } from './proc-stats.ts'

export type PonderResult = {
  events: number
  /** Spawn → /ready 200, seconds (start-up, sync and indexing: what a user waits). */
  readySeconds: number
  /** Ponder's own backfill span (sync + indexing, its "Completed backfill indexing" log line), seconds. */
  indexingSeconds: number | undefined
  /** CPU seconds of its process tree, spawn → ready. */
  cpuSeconds: number
  /** CPU seconds of its process tree during the backfill (see `keep`). */
  backfillCpuSeconds: number | undefined
  peakRssBytes: number
  /** Resident memory once ready and settled (idle after the backfill). */
  afterRssBytes: number
  /** Tip latencies, ms (empty when not measured). */
  tipMs: number[]
}

/** Resolves once Ponder's checkpoint (its /status) has reached `block`. */
export async function ponderIndexed(url: string, block: bigint): Promise<void> {
  for (const deadline = Date.now() + 600_000; Date.now() < deadline; await sleep(5)) {
    const status = (await (await fetch(`${url}/status`)).json()) as Record<string, { block: { number: number } }>
    if (Object.values(status).some((c) => BigInt(c.block.number) >= block)) return
  }
  throw new Error(`ponder did not index block ${block}`)
}

// PGlite, Ponder's default: no DATABASE_URL (a Postgres one set for our tests must not reach it).
const { DATABASE_URL: _db, ...ponderEnv } = process.env

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Sum of a Prometheus metric's samples (all label sets). */
function metricSum(text: string, name: string): number | undefined {
  const values = text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)))
  return values.length ? values.reduce((a, b) => a + b, 0) : undefined
}

/** `whileLive`: run once ready and measured, while Ponder still runs (the tip latency). */
export async function runPonder(p: {
  bin: string
  root: string
  events: number
  timeoutMs?: number
  whileLive?: (url: string) => Promise<number[]>
}): Promise<PonderResult> {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, [p.bin, 'start', '--root', p.root, '--port', String(port), '--schema', 'bench', '--log-format', 'json'], {
    cwd: p.root,
    env: { ...ponderEnv, NODE_ENV: 'production', PONDER_TELEMETRY_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Not detached: a Ctrl-C of the bench reaches it too. Stopped below with whatever it forked.
  })
  const tail: string[] = []
  let backfillMs: number | undefined
  // CPU of its backfill: from its last set-up line ("Created database tables") to "Completed backfill".
  let cpuAtTables: number | undefined
  let cpuAtBackfillEnd: number | undefined
  const keep = (line: string) => {
    if (line.includes('Created database tables')) cpuAtTables = treeCpuSeconds(child.pid!)
    if (line.includes('Completed backfill indexing')) {
      backfillMs = (JSON.parse(line) as { duration?: number }).duration
      cpuAtBackfillEnd = treeCpuSeconds(child.pid!)
    }
    tail.push(line)
    tail.splice(0, Math.max(0, tail.length - 40)) // the last lines, for the error if it fails
  }
  createInterface({ input: child.stdout }).on('line', keep)
  createInterface({ input: child.stderr }).on('line', keep)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const pid = child.pid!
  const rss = sampler(() => treeRssBytes(pid))
  try {
    const deadline = Date.now() + (p.timeoutMs ?? 1_800_000)
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`ponder exited (${child.exitCode ?? child.signalCode}) before ready:\n${tail.join('\n')}`)
      if (Date.now() > deadline) throw new Error(`ponder not ready in time:\n${tail.join('\n')}`)
      const ok = await fetch(`http://127.0.0.1:${port}/ready`).then(
        (r) => r.status === 200,
        () => false,
      )
      if (ok) break
      await sleep(50)
    }
    const readySeconds = (performance.now() - started) / 1000
    const cpuSeconds = treeCpuSeconds(pid)
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    const indexed = metricSum(metrics, 'ponder_indexing_completed_events')
    if (indexed !== undefined && indexed < p.events) throw new Error(`ponder ready after ${indexed} of ${p.events} events`)
    await sleep(1000) // settle: what it holds idle after the backfill
    const afterRssBytes = treeRssBytes(pid)
    const tipMs = (await p.whileLive?.(`http://127.0.0.1:${port}`)) ?? []
    return {
      events: p.events,
      readySeconds,
      indexingSeconds: backfillMs === undefined ? undefined : backfillMs / 1000,
      cpuSeconds,
      backfillCpuSeconds: cpuAtTables !== undefined && cpuAtBackfillEnd !== undefined ? cpuAtBackfillEnd - cpuAtTables : undefined,
      afterRssBytes,
      tipMs,
      peakRssBytes: rss.stop(),
    }
  } finally {
    rss.stop()
    if (child.exitCode === null && child.signalCode === null) {
      const forked = processTree(pid)
        .slice(1)
        .map((p) => ({ p, started: startTicks(p) }))
      child.kill('SIGTERM')
      const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)])
      if (!stopped) child.kill('SIGKILL')
      await exited
      // Whatever it forked and left behind (the same pid and start time: not a reused pid).
      for (const { p, started } of forked) if (started !== undefined && startTicks(p) === started) process.kill(p, 'SIGKILL')
    }
  }
}
