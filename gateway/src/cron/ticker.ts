// The cron ticker: for every deployed function whose manifest has a CronTriggerSpec, append one
// 'cron' invocation per tick. The tick time (not the time it ran) is the invocation's clock and is
// in its idempotency key, so a tick is in the log at most once whatever restarts or races happen.
//
// Catch-up policy after downtime: the ticker resumes from the last tick the log holds for that
// function and schedule and fires the missed ticks of the last `catchUpWindowMs` (default 24 h),
// at most the `maxCatchUp` most recent ones (default 10), oldest first; older ticks are skipped.
// A schedule the log has never fired starts with the first tick after the ticker first sees it.
import { createHash } from 'node:crypto'
import { and, desc, eq, like } from 'drizzle-orm'
import { bytesHex, encodeTriggerPayload, triggerIdempotencyKey, type CronPayload } from '@nexus/protocol'
import { manifestTriggers, type CronTriggerSpec } from '@nexus/protocol'
import type { Db } from '../database/index.ts'
import { invocations } from '../database/schema.ts'
import type { Invocation, Log } from '../log/index.ts'
import { nextCronTick, parseCronSchedule, type CronSchedule } from './schedule.ts'

export type CronTickerParameters = {
  log: Log
  /**
   * Where the newest tick already fired is looked up after a restart (the SQL log's table). Without
   * it (cluster mode: the log is on JetStream, docs/cluster.md) a schedule starts with its next tick
   * and ticks missed while every gateway was down are not caught up; gateways that tick the same
   * schedule together append each tick once, by the log's own dedupe of its idempotency key.
   */
  db?: Db
  /** Hand a newly appended invocation to the scheduler. */
  submit(invocation: Invocation): void
  /** Wall clock, ms. It only decides WHEN a tick is appended, never what the tick says. Default: Date.now. */
  now?: () => number
  /** How often to look for due ticks, ms. Default: 1000. */
  intervalMs?: number
  /** Default: 10. */
  maxCatchUp?: number
  /** Default: 24 h. */
  catchUpWindowMs?: number
  onEvent?: (message: string) => void
}

export type CronTicker = {
  /** Append every due tick now; resolves with how many invocations were created. */
  tick(): Promise<number>
  start(): void
  stop(): Promise<void>
}

/** @example const cron = createCronTicker({ log, db, submit: (i) => scheduler.submit(i) }); cron.start() */
export function createCronTicker(p: CronTickerParameters): CronTicker {
  const now = p.now ?? Date.now
  const maxCatchUp = p.maxCatchUp ?? 10
  const window = p.catchUpWindowMs ?? 24 * 3600_000
  const manifests = new Map<string, CronTriggerSpec[]>()
  const schedules = new Map<string, CronSchedule | null>()
  /** Last tick appended, per `${functionId}\n${schedule}`. */
  const lastTick = new Map<string, number>()
  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> = Promise.resolve()
  let stopped = true

  async function cronSpecs(codeHash: string): Promise<CronTriggerSpec[]> {
    let specs = manifests.get(codeHash)
    if (!specs) {
      // The manifest alone: the artifact's row also holds the component (≈ 2 MB of base64).
      const manifest = await p.log.getManifest(codeHash)
      const triggers = manifest ? manifestTriggers(manifest) : []
      specs = triggers.filter((t): t is CronTriggerSpec => t.kind === 'cron')
      manifests.set(codeHash, specs)
    }
    return specs
  }

  function schedule(source: string): CronSchedule | null {
    if (!schedules.has(source)) {
      try {
        schedules.set(source, parseCronSchedule(source))
      } catch (err) {
        // The build validates schedules; a bad one in a hand-made manifest is reported, not fatal.
        p.onEvent?.(`cron: ignoring schedule: ${(err as Error).message}`)
        schedules.set(source, null)
      }
    }
    return schedules.get(source)!
  }

  /** The newest tick of this schedule already in the log (survives restarts), or undefined. */
  async function loggedTick(functionId: string, source: string): Promise<number | undefined> {
    if (!p.db) return undefined
    const prefix = `cron:${source}:`
    const [row] = await p.db
      .select({ key: invocations.idempotencyKey })
      .from(invocations)
      .where(and(eq(invocations.functionId, functionId), eq(invocations.trigger, 'cron'), like(invocations.idempotencyKey, `${prefix}%`)))
      .orderBy(desc(invocations.seq))
      .limit(1)
    const tick = row?.key ? Number(row.key.slice(prefix.length)) : NaN
    return Number.isSafeInteger(tick) ? tick : undefined
  }

  function dueTicks(s: CronSchedule, after: number, until: number): number[] {
    const due: number[] = []
    for (let t = nextCronTick(s, Math.max(after, until - window)); t !== undefined && t <= until; t = nextCronTick(s, t)) {
      due.push(t)
      if (due.length > maxCatchUp) due.shift()
    }
    return due
  }

  async function fire(functionId: string, source: string, tick: number): Promise<boolean> {
    const payload: CronPayload = { kind: 'cron', schedule: source, scheduledAtMs: String(tick) }
    const input = encodeTriggerPayload(payload)
    const { invocation, created } = await p.log.append({
      functionId,
      input: bytesHex(input),
      trigger: 'cron',
      idempotencyKey: triggerIdempotencyKey(payload),
      requestHash: createHash('sha256').update(input).digest('hex'),
      timestampMs: BigInt(tick),
    })
    if (created) p.submit(invocation)
    return created
  }

  async function tick(): Promise<number> {
    const at = now()
    let created = 0
    for (const fn of await p.log.listFunctions()) {
      for (const spec of await cronSpecs(fn.codeHash)) {
        const s = schedule(spec.schedule)
        if (!s) continue
        const key = `${fn.id}\n${spec.schedule}`
        let last = lastTick.get(key)
        if (last === undefined) {
          last = (await loggedTick(fn.id, spec.schedule)) ?? at
          lastTick.set(key, last)
        }
        const due = dueTicks(s, last, at)
        const skipped = due.length > 0 ? countSkipped(s, last, due[0]!) : 0
        if (skipped > 0) p.onEvent?.(`cron: ${fn.id} "${spec.schedule}": skipped ${skipped} missed tick(s) beyond the catch-up bound`)
        for (const t of due) {
          if (await fire(fn.id, spec.schedule, t)) created++
          lastTick.set(key, t)
        }
      }
    }
    return created
  }

  /** Ticks strictly between `after` and `first` that the catch-up bound dropped (capped count, for the log line). */
  function countSkipped(s: CronSchedule, after: number, first: number): number {
    let n = 0
    for (let t = nextCronTick(s, after); t !== undefined && t < first && n < 1000; t = nextCronTick(s, t)) n++
    return n
  }

  function scheduleNext(intervalMs: number) {
    if (stopped) return
    timer = setTimeout(() => {
      running = tick()
        .catch((err: unknown) => p.onEvent?.(`cron: tick failed: ${(err as Error).message}`))
        .finally(() => scheduleNext(intervalMs))
    }, intervalMs)
    timer.unref()
  }

  return {
    tick,
    start() {
      if (!stopped) return
      stopped = false
      scheduleNext(p.intervalMs ?? 1000)
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
