// Settled outcomes and who waits for them. A single invocation is answered as soon as t shares
// combine (the synchronous caller gets it at once) and recorded after its signature check (see
// checks.ts); a batch, a dispute or a checked result is recorded, then answered. The API reads
// results from the log only: a reader that finds an invocation answered but not recorded yet waits
// for the record (untilRecorded) instead of being served the scheduler's memory.
import { STATUS_NAMES as STATUS } from '@nexus/protocol'
import type { AttestedResult } from '@nexus/protocol/attest'
import type { LogLine } from '@nexus/protocol'
import type { Invocation } from '../log/index.ts'
import type { SchedulerContext } from './context.ts'
import { evict, type Lane, type Slot } from './lane.ts'

export type Outcomes = ReturnType<typeof createOutcomes>

export function createOutcomes({ lanes, metrics, n, onResult, onEvent }: SchedulerContext) {
  const waiters = new Map<string, Set<(inv: Invocation) => void>>()
  /** Readers of the log waiting for an answered result's record (or for it to go back to pending). */
  const recordWaiters = new Map<string, Set<() => void>>()

  function notify(slot: Slot) {
    const set = waiters.get(slot.invocation.id)
    if (set) for (const fn of set) fn(slot.invocation)
    waiters.delete(slot.invocation.id)
    if (slot.recorded) notifyReaders(slot)
  }

  function notifyReaders(slot: Slot) {
    const readers = recordWaiters.get(slot.invocation.id)
    if (readers) for (const fn of readers) fn()
    recordWaiters.delete(slot.invocation.id)
  }

  /** Hand the result to whoever waits for it (the sync HTTP answer); recording follows its check. */
  function answer(slot: Slot, attested: AttestedResult, logs: LogLine[]) {
    slot.spares?.release()
    slot.invocation = { ...slot.invocation, state: 'attested', result: attested, disagreements: [...slot.disagreements], logs }
    if (slot.firstSentAt !== undefined)
      metrics.observe('nexus_quorum_latency_seconds', 'First send to attested result', (performance.now() - slot.firstSentAt) / 1000)
    slot.firstSentAt = undefined
    notify(slot)
  }

  /** The attested result is durable: update the slot, metrics and waiters. */
  function settle(lane: Lane, slot: Slot, attested: AttestedResult, status: number, logs: LogLine[]) {
    slot.recorded = true
    answer(slot, attested, logs)
    metrics.inc('nexus_invocations_total', 'Invocations by status', { status: STATUS[status] ?? 'unknown' })
    try {
      onResult(slot.invocation)
    } catch (err) {
      onEvent(`onResult failed: ${err instanceof Error ? err.message : String(err)}`)
    }
    evict(lane, slot, n)
  }

  /** An answered result failed its check and is pending again: readers waiting for its record read the log now. */
  function unanswer(slot: Slot) {
    slot.attestedDigest = undefined
    slot.invocation = { ...slot.invocation, state: 'pending', result: null, logs: [] }
    notifyReaders(slot)
  }

  /**
   * The invocation as callers should see it: one still pending in the log whose slot was already
   * answered (its combined signature waits for its check) is served as it was answered.
   */
  function seen(invocation: Invocation): Invocation {
    if (invocation.state !== 'pending') return invocation
    const slot = lanes.get(invocation.functionId)?.slots.get(invocation.seq)
    return slot?.invocation.id === invocation.id && slot.invocation.state !== 'pending' ? slot.invocation : invocation
  }

  /** Resolves with the settled invocation, or undefined after `timeoutMs` (see Scheduler.waitFor). */
  async function waitFor(
    id: string,
    timeoutMs: number,
    stored: Invocation | undefined | (() => Promise<Invocation | undefined>),
  ): Promise<Invocation | undefined> {
    let listener!: (inv: Invocation) => void
    const attested = new Promise<Invocation>((resolve) => (listener = resolve))
    let set = waiters.get(id)
    if (!set) waiters.set(id, (set = new Set()))
    set.add(listener)
    const read = typeof stored === 'function' ? await stored() : stored
    const current = read && seen(read)
    if (current && current.state !== 'pending') {
      set.delete(listener)
      return current
    }
    let expire!: (value: undefined) => void
    const timeout = new Promise<undefined>((resolve) => (expire = resolve))
    const timer = setTimeout(() => expire(undefined), timeoutMs)
    try {
      return await Promise.race([attested, timeout])
    } finally {
      clearTimeout(timer)
      set.delete(listener)
      if (set.size === 0 && waiters.get(id) === set) waiters.delete(id)
    }
  }

  /**
   * `invocation` was read from the log as pending: if the scheduler already answered it (its
   * signature check is pending), wait, at most `timeoutMs`, until it is recorded or back to pending.
   * True when the log should be read again.
   */
  async function untilRecorded(invocation: Invocation, timeoutMs: number): Promise<boolean> {
    if (invocation.state !== 'pending') return false
    const slot = lanes.get(invocation.functionId)?.slots.get(invocation.seq)
    if (slot?.invocation.id !== invocation.id) return false
    if (slot.recorded) return true // recorded since the log was read
    if (slot.invocation.state === 'pending') return false
    let readers = recordWaiters.get(invocation.id)
    if (!readers) recordWaiters.set(invocation.id, (readers = new Set()))
    let wake!: () => void
    const recorded = new Promise<void>((resolve) => (wake = resolve))
    readers.add(wake)
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      await Promise.race([recorded, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))])
    } finally {
      clearTimeout(timer)
      readers.delete(wake)
      if (readers.size === 0 && recordWaiters.get(invocation.id) === readers) recordWaiters.delete(invocation.id)
    }
    return true
  }

  return { notify, answer, settle, unanswer, seen, waitFor, untilRecorded }
}
