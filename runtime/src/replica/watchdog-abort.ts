// When the wall-clock watchdog (the sandbox's backstop) fires, the invocation has no deterministic
// result: another replica, or this one on a rerun, might finish it. So the replica records nothing
// and answers WATCHDOG; the gateway records the abort in its log and resends the invocation marked
// `abort: 'watchdog'`; every replica then records the same result WITHOUT running it — status
// out_of_fuel, fuelUsed = the fuel limit, a fixed output, state unchanged — and signs it. The abort
// is thereby attested like any result, and what was signed is in the log (docs/runtime.md,
// "Watchdog aborts"). Between the two, a resend of the same seq is answered WATCHDOG at once
// instead of being run into the watchdog again.
import { WatchdogError } from '../sandbox/sandbox.ts'
import type { Limits } from '../sandbox/limits.ts'
import { Status } from '@nexus/protocol'
import type { InvocationOutcome } from '../sandbox/run-invocation.ts'

/** The output of every watchdog-aborted invocation (covered by the digest like any output). */
export const WATCHDOG_ABORT_OUTPUT = 'aborted: the invocation exceeded the wall-clock watchdog'

/** The deterministic outcome recorded for an invocation the log marks as aborted. */
export function abortedOutcome(limits: Limits): InvocationOutcome {
  return {
    status: Status.outOfFuel,
    output: new TextEncoder().encode(WATCHDOG_ABORT_OUTPUT),
    error: WATCHDOG_ABORT_OUTPUT,
    fuelUsed: BigInt(limits.fuel),
    writes: { kv: [], files: [] },
    logs: [],
  }
}

/** Seqs that hit the watchdog here and are not recorded yet (bounded: the oldest are forgotten). */
export function createWatchdogMemory(capacity = 1024) {
  const hit = new Map<string, string>()
  const keyOf = (functionId: string, seq: bigint) => `${seq}:${functionId}`
  return {
    remember(functionId: string, seq: bigint, inputHash: string): void {
      hit.set(keyOf(functionId, seq), inputHash)
      if (hit.size > capacity) hit.delete(hit.keys().next().value!)
    },
    /** Throws WatchdogError when this seq with this input already hit the watchdog here. */
    check(functionId: string, seq: bigint, inputHash: string): void {
      if (hit.get(keyOf(functionId, seq)) === inputHash) {
        throw new WatchdogError(`Seq ${seq} of ${functionId} exceeded the watchdog here before; waiting for the log to abort it.`)
      }
    },
    forget(functionId: string, seq: bigint): void {
      hit.delete(keyOf(functionId, seq))
    },
  }
}
