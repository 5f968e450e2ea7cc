// Spares (hedgeMs, spareCatchUpMs): a single invocation goes to the first t replica loops; the rest
// get it only if those need help. A spare that finds invocations attested without it applies them
// later, as one batch, once the function is quiet or spareCatchUpMs has passed, so that its work
// does not compete with the next invocation's first wave for the same CPUs. A batch likewise goes
// to the first t loops; a spare applies it once the first wave has worked through the backlog.
import type { SchedulerContext } from './context.ts'
import { done, firstPending, rootGroups, sleep, type Batch, type Lane, type Slot, type Spares } from './lane.ts'

export type SpareControl = ReturnType<typeof createSpares>

function sparesOf(slot: Slot): Spares {
  if (!slot.spares) {
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    const spares: Spares = {
      released,
      done: false,
      release: () => {
        spares.done = true
        release()
      },
    }
    slot.spares = spares
  }
  return slot.spares
}

/** How often a waiting batch spare looks again when nothing wakes it (a timer, not a result: attestation never waits for it). */
const SPARE_POLL_MS = 250

export function createSpares({ network, hedgeMs, spareCatchUpMs, spareQuietMs, spareMaxLag, maxBatch, batchTargetMs, isRunning }: SchedulerContext) {
  /**
   * Wait, as a spare, until the first wave of this single invocation no longer needs help (see
   * hedgeMs). The first `t` replicas to get here go straight through.
   */
  async function hedge(slot: Slot) {
    if (hedgeMs <= 0 || done(slot)) return
    const spares = sparesOf(slot)
    if (spares.done) return
    if ((slot.sent ?? 0) < network.t) {
      slot.sent = (slot.sent ?? 0) + 1
      return
    }
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([spares.released, new Promise<void>((resolve) => (timer = setTimeout(resolve, hedgeMs)))])
    clearTimeout(timer)
    spares.release()
  }

  /**
   * The invocation at `cursor` was attested without this replica (a spare, see spareCatchUpMs): the
   * last seq of the run of settled invocations from there, which it applies as one batch. Undefined
   * when that is not the case.
   */
  function settledRun(lane: Lane, cursor: bigint): bigint | undefined {
    const slot = lane.slots.get(cursor)
    if (spareCatchUpMs <= 0 || !slot?.spares || !done(slot)) return undefined
    let end = cursor
    while (end < lane.head && end - cursor + 1n < BigInt(maxBatch)) {
      const next = lane.slots.get(end + 1n) // not in memory: settled and evicted
      if (next && !done(next)) break
      end++
    }
    return end
  }

  /** Wait, as a spare about to catch up, while the function has live work (see spareCatchUpMs). */
  async function yieldToLiveWork(lane: Lane, i: number) {
    const deadline = performance.now() + spareCatchUpMs
    while (isRunning() && !lane.rewind[i]) {
      const now = performance.now()
      if (now >= deadline || helpNeeded(lane, i, now)) return
      if (firstPending(lane) > lane.head && now - lane.lastActivity >= spareQuietMs) return
      await Promise.race([lane.waiting, sleep(Math.min(deadline - now, spareQuietMs))])
    }
  }

  /** A pending invocation needs this replica now: a replica loop is down, or a first wave failed, disagreed or is slow. */
  function helpNeeded(lane: Lane, i: number, now: number): boolean {
    if (lane.cursors.some((c, j) => j !== i && c === undefined)) return true
    for (const slot of lane.slots.values())
      if (!done(slot) && (slot.spares?.done || (slot.firstSentAt !== undefined && now - slot.firstSentAt > hedgeMs))) return true
    return false
  }

  /**
   * Whether replica loop `i` (replica i + 1) sends `batch` now. The first `t` loops to reach a pending batch do
   * (its first wave). Any other loop is a spare: it waits until the batch is settled and no first-wave
   * loop has a backlog left, then applies it (and the rest of what it missed, batch after batch, each
   * the same way), or goes at once when the batch needs it. False: do not send, re-read the position
   * (a split, a stop). A spare more than spareMaxLag seqs behind the head applies settled batches
   * without waiting. When the replicas share CPUs (the dev stack: 4 replicas, 2 cores), a backfill
   * is then attested with three replicas' work instead of four; the fourth does its share after.
   */
  async function hedgeBatch(lane: Lane, batch: Batch, slots: Slot[], i: number): Promise<boolean> {
    if (hedgeMs <= 0) return true
    const settled = () => batch.settled || slots.every(done)
    const replica = i + 1
    const claims = (batch.claims ??= new Set())
    if (!settled() && (claims.has(replica) || claims.size < network.t)) {
      claims.add(replica)
      return true
    }
    lane.spare[i] = true
    try {
      while (isRunning() && !lane.rewind[i]) {
        if (batchNeedsHelp(lane, batch, i)) {
          if (!settled()) claims.add(replica)
          return true
        }
        if (settled() && (!firstWaveBusy(lane, i) || lane.head - batch.start > BigInt(spareMaxLag))) return true
        await Promise.race([lane.waiting, sleep(SPARE_POLL_MS)])
      }
      return false
    } finally {
      lane.spare[i] = false
    }
  }

  /** Another loop is down, a first-wave loop fell behind the batch (it failed, it restarted), its answers cannot settle it, or it is overdue. */
  function batchNeedsHelp(lane: Lane, batch: Batch, i: number): boolean {
    if (lane.cursors.some((c, j) => j !== i && c === undefined)) return true
    if (batch.settled) return false
    const claims = batch.claims ?? new Set<number>()
    // (A loop that is down was caught above; one back from down restarts from its state, before the batch.)
    if ([...claims].some((r) => lane.cursors[r - 1]! < batch.start)) return true
    // Every first-wave answer is in and no root has t valid shares (when one has, it is being recorded).
    const allAnswered = claims.size > 0 && [...claims].every((r) => batch.responses.has(r))
    if (allAnswered && ![...rootGroups(batch).values()].some((members) => members.length >= network.t)) return true
    return batch.sentAt !== undefined && performance.now() - batch.sentAt > 2 * batchTargetMs
  }

  /** Some loop that is not a spare still has invocations to send (the first wave's backlog), and enough of them are up. */
  function firstWaveBusy(lane: Lane, i: number): boolean {
    let live = 0
    let busy = false
    lane.cursors.forEach((c, j) => {
      if (j === i || lane.spare[j] || c === undefined) return
      live++
      if (c <= lane.head) busy = true
    })
    return busy && live >= network.t
  }

  return { hedge, hedgeBatch, settledRun, yieldToLiveWork }
}
