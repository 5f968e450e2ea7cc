// Quorum scheduler. Per function a "lane" (lane.ts): every replica has its own loop
// (replica-loop.ts) that sends the function's invocations to that replica strictly in seq order.
// Shares are grouped by digest; once `t` shares agree they are combined (quorum.ts), the combined
// signature checked (checks.ts) and the attested result written to the log; waiters are told
// (outcome.ts). Several pending seqs go as one batch signed over a Merkle root (batch.ts); a single
// invocation goes to `t` replicas first and to the spares only if needed (spares.ts). Lanes of
// different functions run concurrently; a down, slow or wrong replica only stalls its own loop.
// This file wires the parts and is the scheduler's whole public surface.
import type { Invocation } from '../log/index.ts'
import type { ReplicaClient } from '../replicas/index.ts'
import { createBatches } from './batch.ts'
import { createChecks } from './checks.ts'
import type { SchedulerContext } from './context.ts'
import { bindVersions, createDivergenceTracker } from './divergence.ts'
import { createLane, done, forgetAnswers, sleep, slotFromLog, type Lane } from './lane.ts'
import { createOutcomes } from './outcome.ts'
import type { CreateSchedulerParameters } from './parameters.ts'
import { createQuorum } from './quorum.ts'
import { replicaLoop } from './replica-loop.ts'
import { createSpares } from './spares.ts'
import { createWatchdogAborts } from './watchdog.ts'

export type { CreateSchedulerParameters } from './parameters.ts'
export type Scheduler = ReturnType<typeof createScheduler>

export function createScheduler({
  log,
  replicas,
  network,
  metrics,
  maxBatch = 256,
  maxBatchBacklog = 1024,
  batchTargetMs = 3000,
  maxBatchBytes = 16 << 20,
  backoff = { minMs: 25, maxMs: 2000 },
  verifyBeforeAnswer = false,
  checkDelayMs = verifyBeforeAnswer ? 0 : 200,
  hedgeMs = 50,
  spareCatchUpMs = 200,
  spareQuietMs = 10,
  spareMaxLag = 16_384,
  curve,
  onEvent = () => {},
  onResult = () => {},
}: CreateSchedulerParameters) {
  const lanes = new Map<string, Lane>()
  /** Replica index → whether it answered its last request or health probe (nexus_replica_up). */
  const replicaUp = new Map<number, boolean>()
  let running = false
  const loops: Promise<void>[] = []
  const ctx: SchedulerContext = {
    log,
    replicas,
    network,
    metrics,
    maxBatch,
    maxBatchBacklog,
    batchTargetMs,
    maxBatchBytes,
    backoff,
    verifyBeforeAnswer,
    checkDelayMs,
    hedgeMs,
    spareCatchUpMs,
    spareQuietMs,
    spareMaxLag,
    curve: curve instanceof Promise ? undefined : curve,
    onEvent,
    onResult,
    n: replicas.length,
    replicaIndexes: replicas.map((c) => c.index),
    lanes,
    divergence: createDivergenceTracker({ metrics, onEvent }),
    isRunning: () => running,
    setReplicaUp(index, up) {
      replicaUp.set(index, up)
      metrics.set(
        'nexus_replica_up',
        'Whether the replica answered its last request (or, after a failed one, its health probe)',
        { replica: index },
        up ? 1 : 0,
      )
    },
  }
  const { divergence, replicaIndexes } = ctx
  const outcomes = createOutcomes(ctx)
  // `checks` is only called once an answer arrives, after everything here is built.
  // A curve still being built: its operations replace noble's once it is there (same results).
  if (curve instanceof Promise) void curve.then((built) => void (ctx.curve = built)).catch(() => {})
  const quorum = createQuorum(ctx, { outcomes, check: (c) => checks.add(c) })
  const checks = createChecks(ctx, { outcomes, quorum })
  const parts = {
    quorum,
    batches: createBatches(ctx, { outcomes, quorum }),
    spares: createSpares(ctx),
    watchdogs: createWatchdogAborts({ log, metrics, onEvent }),
  }

  /**
   * `pending`: the function's unsettled invocations read from the log at start. They are in the
   * lane before its replica loops run: a loop places its cursor at the lower of the replica's next
   * seq and the lane's first pending one, so a pending seq the replicas already applied (the
   * gateway died before recording its result) must be known by then or it is never resent.
   */
  function startLane(functionId: string, head: bigint, pending: Invocation[] = []): Lane {
    let lane = lanes.get(functionId)
    if (lane) return lane
    lane = createLane(functionId, head, replicas.length, maxBatch)
    for (const row of pending) lane.slots.set(row.seq, { invocation: row, responses: new Map(), disagreements: [...row.disagreements] })
    lanes.set(functionId, lane)
    for (const client of replicas) loops.push(superviseLoop(lane, client))
    return lane
  }

  /**
   * A replica loop that throws (the log refused a write: a database restarting) starts again after
   * a backoff, from the replica's position, instead of leaving the function one replica short for
   * good. What it had answered and not yet settled is forgotten, so its re-sent answers count.
   */
  async function superviseLoop(lane: Lane, client: ReplicaClient) {
    let delay = backoff.minMs
    while (running) {
      try {
        return await replicaLoop(ctx, parts, lane, client)
      } catch (err) {
        onEvent(`replica loop ${client.index}/${lane.functionId} failed, again in ${delay} ms: ${err instanceof Error ? err.stack : String(err)}`)
        forgetAnswers(lane, client.index)
        await sleep(delay)
        delay = Math.min(delay * 2, backoff.maxMs)
      }
    }
  }

  /** New invocations were durably appended (a trigger run, in seq order): hand them to their lanes, waking each once. */
  function submitMany(invocations: Invocation[]) {
    const woken = new Set<Lane>()
    for (const invocation of invocations) {
      const lane = startLane(invocation.functionId, invocation.seq - 1n)
      if (!lane.slots.has(invocation.seq)) lane.slots.set(invocation.seq, { invocation, responses: new Map(), disagreements: [] })
      if (invocation.seq > lane.head) lane.head = invocation.seq
      woken.add(lane)
    }
    if (invocations.length === 0) return
    metrics.inc('nexus_invocations_total', 'Invocations by status', { status: 'accepted' }, invocations.length)
    const now = performance.now()
    for (const lane of woken) {
      lane.lastActivity = now
      lane.wake()
    }
  }

  /**
   * Invocations another gateway appended, read from the shared log (cluster/log-follower.ts), settled
   * or not as the log says. One this lane already has, or one every replica loop has gone past (it
   * was here and left memory settled), is skipped, so a follower that reads its own gateway's
   * appends, or reads late, changes nothing.
   */
  function adopt(invocations: Invocation[]) {
    const woken = new Set<Lane>()
    for (const invocation of invocations) {
      const lane = startLane(invocation.functionId, invocation.seq - 1n)
      const seq = invocation.seq
      const ahead = seq > lane.head
      const awaited = lane.cursors.some((c) => c === undefined || c <= seq)
      if (!lane.slots.has(seq) && (ahead || (awaited && invocation.state === 'pending'))) lane.slots.set(seq, slotFromLog(invocation))
      if (ahead) lane.head = seq
      woken.add(lane)
    }
    const now = performance.now()
    for (const lane of woken) {
      lane.lastActivity = now
      lane.wake()
    }
  }

  return {
    /** Load every function and its unattested invocations from the log and start the lanes. */
    async start() {
      running = true
      for (const fn of await log.listFunctions()) {
        const pending: Invocation[] = []
        let after = (await log.firstPendingSeq(fn.id)) - 1n
        for (;;) {
          const rows = await log.range(fn.id, after, 1000)
          for (const row of rows) if (row.state === 'pending') pending.push(row)
          if (rows.length < 1000) break
          after = rows.at(-1)!.seq
        }
        startLane(fn.id, fn.lastSeq, pending)
      }
    },
    /** A new invocation was durably appended: hand it to the lane. */
    submit(invocation: Invocation) {
      submitMany([invocation])
    },
    submitMany,
    adopt,
    /** Whether the function has a lane here (its deploy was seen, at start or since). */
    hasLane: (functionId: string) => lanes.has(functionId),
    /** A function was deployed: make sure its lane exists. */
    ensureLane(functionId: string, head: bigint) {
      if (!running) return
      startLane(functionId, head)
      // Bind the new version on every replica now rather than on its first invocation (a loop
      // that meets CODE_NOT_BOUND pushes the versions itself, so a failure here only costs that).
      for (const client of replicas) void bindVersions(log, client, functionId)
    },
    /** Replicas that diverged from the log, per function (see divergence.ts). */
    diverged: () => divergence.list(),
    /**
     * Repair a replica that diverged for a function: it forgets the function, and its loop
     * re-applies it from the log from seq 1. Throws when the replica refuses the reset.
     */
    async repair(functionId: string, replica: number) {
      const client = replicas.find((c) => c.index === replica)
      if (!client) throw new Error(`no replica ${replica}`)
      await client.resetFunction(functionId)
      divergence.clear(functionId, replica)
      const lane = lanes.get(functionId)
      if (lane) {
        lane.rewind[replica - 1] = true
        lane.wake()
      }
    },
    /**
     * Resolves with the settled (attested or disputed) invocation, or undefined after `timeoutMs`.
     * `submitted`: the invocation just handed to submit() in this same tick, which cannot have
     * settled yet, so the log need not be asked.
     */
    waitFor(id: string, timeoutMs: number, submitted?: Invocation): Promise<Invocation | undefined> {
      return outcomes.waitFor(id, timeoutMs, submitted?.id === id ? submitted : () => log.getInvocation(id))
    },
    /**
     * The invocation as a waiter sees it: a result already answered to a synchronous caller but not
     * recorded yet (its signature check is pending) as it was answered. The HTTP API does not serve
     * from it (it reads the log, see untilRecorded); waitFor uses the same view.
     */
    current: outcomes.seen,
    /**
     * For readers of the log: `invocation` (read as pending) was answered and waits for its
     * signature check; resolves true, at most `timeoutMs` later, once the log should be read again.
     */
    untilRecorded: outcomes.untilRecorded,
    /** Replicas not known to be down (answered their last request or health probe), and how many there are. */
    replicasUp(): { up: number; n: number; t: number } {
      return { up: replicas.filter((r) => replicaUp.get(r.index) !== false).length, n: replicas.length, t: network.t }
    },
    /** Per-replica cursor per function (for /ready and tests). */
    status() {
      return [...lanes.values()].map((l) => ({
        functionId: l.functionId,
        head: l.head.toString(),
        cursors: l.cursors.map((c) => c?.toString() ?? null),
        diverged: replicaIndexes.filter((r) => divergence.has(l.functionId, r)),
      }))
    },
    /**
     * A clean stop's drain: wait, at most `timeoutMs`, until every invocation handed to the lanes
     * is settled, then record what is still queued for its check. Resolves false if some were not
     * (they stay pending in the log and run after the next start).
     */
    async drain(timeoutMs: number): Promise<boolean> {
      const deadline = performance.now() + timeoutMs
      const unsettled = () => [...lanes.values()].some((lane) => [...lane.slots.values()].some((slot) => !done(slot)))
      let settled = true
      while (unsettled()) {
        if (performance.now() >= deadline) {
          settled = false
          break
        }
        await sleep(20)
      }
      await checks.drain()
      return settled
    },
    async stop() {
      running = false
      for (const lane of lanes.values()) lane.wake()
      await Promise.race([Promise.allSettled(loops), sleep(3000)])
      await checks.drain()
    },
  }
}
