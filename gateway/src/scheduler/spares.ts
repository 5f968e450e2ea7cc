// Spares (hedgeMs, spareCatchUpMs): a single invocation goes to the first t replica loops; the rest
// get it only if those need help. A spare that finds invocations attested without it applies them
// later, as one batch, once the function is quiet or spareCatchUpMs has passed, so that its work
// does not compete with the next invocation's first wave for the same CPUs.
import type { SchedulerContext } from './context.ts'
import { done, firstPending, sleep, type Lane, type Slot, type Spares } from './lane.ts'

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

export function createSpares({ network, hedgeMs, spareCatchUpMs, spareQuietMs, maxBatch, isRunning }: SchedulerContext) {
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

  return { hedge, settledRun, yieldToLiveWork }
}
