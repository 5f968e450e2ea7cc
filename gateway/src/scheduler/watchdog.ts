// Watchdog aborts, the gateway's half (the replica's half: runtime/src/replica/watchdog-abort.ts).
// A replica whose wall-clock watchdog fired answers WATCHDOG and records nothing; retrying would run
// into the same watchdog forever and hold the replica's sandbox each time. Instead the decision is
// recorded in the log (`abort = 'watchdog'`), and from then on the invocation is sent marked
// aborted: every replica records the same fixed result (out_of_fuel, fuelUsed = the fuel limit,
// state unchanged) without running it and signs it, so it is attested like any other result.
// An invocation that is already attested or disputed is left as it is.
import type { Invocation, Log } from '../log/index.ts'
import type { Metrics } from '../metrics.ts'
import type { ReplicaClient } from '../replicas/index.ts'

type AbortableSlot = { invocation: Invocation; attestedDigest?: string; disputed?: boolean }

export function createWatchdogAborts({ log, metrics, onEvent }: { log: Log; metrics: Metrics; onEvent: (message: string) => void }) {
  const recording = new WeakMap<AbortableSlot, Promise<void>>()

  /**
   * Record (once) that the invocation in `slot` is aborted; the caller's loop then resends it
   * marked. False when it was settled without this replica (attested or disputed before any abort):
   * then this replica cannot apply it and must back off like an unavailable one.
   */
  async function abort(slot: AbortableSlot, replica: number): Promise<boolean> {
    if (slot.invocation.abort) return true
    if (slot.attestedDigest !== undefined || slot.disputed) return false
    let pending = recording.get(slot)
    if (!pending) {
      const { id, functionId, seq } = slot.invocation
      pending = log.recordAbort(id, 'watchdog').then(() => {
        slot.invocation = { ...slot.invocation, abort: 'watchdog' }
        metrics.inc('nexus_watchdog_aborts_total', 'Invocations aborted through the log after a replica watchdog', { function: functionId })
        onEvent(`replica ${replica}: watchdog fired on ${functionId}#${seq}; recorded as aborted, resending it marked aborted`)
      })
      recording.set(slot, pending)
      pending.catch(() => recording.delete(slot))
    }
    await pending
    return true
  }

  /**
   * A batch answered WATCHDOG: the replica applied the seqs before the one that timed out, so that
   * one is its last applied seq + 1. Undefined when the replica cannot say.
   */
  async function timedOutSeq(client: ReplicaClient, functionId: string): Promise<bigint | undefined> {
    const state = await client.state(functionId)
    return state ? state.lastAppliedSeq + 1n : undefined
  }

  return { abort, timedOutSeq }
}
