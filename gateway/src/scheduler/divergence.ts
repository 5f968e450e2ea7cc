// Replicas that diverged from the log, per function. A replica that answers SEQ_MISMATCH applied a
// seq with another input or code than the log holds (the log is the truth: the gateway orders);
// resending will never change that, so instead of retrying it as "unavailable" the gateway stops
// sending it that function, counts it as a replica that will not answer (the invocation completes
// with the others, or is disputed), reports it (`nexus_replica_diverged`, /ready) and waits for a
// repair: the replica's function is reset (POST /v1/functions/:id/reset, `scheduler.repair`) and
// the replica loop catches it up from the log from seq 1. Divergences live in memory: after a
// gateway restart the first resend detects them again.
//
// Also here: binding a function's versions on a replica (which code runs from which seq), pushed
// from the log when a replica answers CODE_NOT_BOUND.
import type { Log } from '../log/index.ts'
import type { Metrics } from '../metrics.ts'
import type { ReplicaClient } from '../replicas/index.ts'

export type Divergence = { functionId: string; replica: number; seq: bigint; reason: string; since: Date; polledAt?: number }

const METRIC = 'nexus_replica_diverged'
const HELP = 'Whether the replica diverged from the log for the function (1) until it is repaired (0)'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export type DivergenceTracker = ReturnType<typeof createDivergenceTracker>

export function createDivergenceTracker({ metrics, onEvent, pollMs = 2000 }: { metrics: Metrics; onEvent: (message: string) => void; pollMs?: number }) {
  const diverged = new Map<string, Divergence>()
  const keyOf = (functionId: string, replica: number) => `${replica}:${functionId}`

  function clear(functionId: string, replica: number) {
    if (!diverged.delete(keyOf(functionId, replica))) return
    metrics.set(METRIC, HELP, { replica, function: functionId }, 0)
    onEvent(`replica ${replica} repaired for ${functionId}: catching up from the log`)
  }

  return {
    /** Record that `replica` applied `seq` of the function differently from the log. */
    mark(functionId: string, replica: number, seq: bigint, reason: string) {
      const key = keyOf(functionId, replica)
      if (diverged.has(key)) return
      diverged.set(key, { functionId, replica, seq, reason, since: new Date() })
      metrics.set(METRIC, HELP, { replica, function: functionId }, 1)
      metrics.inc('nexus_replica_divergences_total', 'Divergences from the log detected (SEQ_MISMATCH or a refused version history)', { replica })
      onEvent(`replica ${replica} diverged from the log for ${functionId} at seq ${seq}: ${reason}; not sending it this function until it is repaired`)
    },
    has(functionId: string, replica: number): boolean {
      return diverged.has(keyOf(functionId, replica))
    },
    clear,
    /** Diverged replicas that have not answered, among `answered` (they never will: counted as final). */
    silent(functionId: string, replicas: number[], answered: (replica: number) => boolean): number {
      return replicas.filter((r) => !answered(r) && diverged.has(keyOf(functionId, r))).length
    },
    /** For /ready and status(): every divergence, JSON-ready. */
    list() {
      return [...diverged.values()].map((d) => ({
        functionId: d.functionId,
        replica: d.replica,
        seq: d.seq.toString(),
        reason: d.reason,
        since: d.since.toISOString(),
      }))
    },
    /**
     * Park a diverged replica's loop until it is repaired: woken by `wake` (scheduler.repair), or
     * seeing, on a slow poll of its state, that it no longer holds the divergent seq (reset by an
     * operator, or its store restarted before it).
     */
    async waitForRepair(functionId: string, client: ReplicaClient, isRunning: () => boolean, wake: () => Promise<void>) {
      const d = diverged.get(keyOf(functionId, client.index))
      if (!d) return
      await Promise.race([wake(), sleep(pollMs)])
      if (!isRunning() || !diverged.has(keyOf(functionId, client.index))) return
      // Woken by new invocations, which come often: the state is still asked at most once per pollMs.
      const now = performance.now()
      if (d.polledAt !== undefined && now - d.polledAt < pollMs) return
      d.polledAt = now
      const state = await client.state(functionId)
      if (state && state.lastAppliedSeq < d.seq) clear(functionId, client.index)
    },
  }
}

/**
 * Tell a replica which code the function runs from which seq, from the log. A refusal means the
 * replica applied seqs with code the log never ran for them: a divergence.
 */
export async function bindVersions(
  log: Log,
  client: ReplicaClient,
  functionId: string,
): Promise<{ ok: true } | { ok: false; conflict: boolean; reason: string }> {
  const versions = await log.listVersions(functionId)
  try {
    await client.pushVersions(
      functionId,
      versions.map((v) => ({ fromSeq: v.fromSeq, codeHash: v.codeHash })),
    )
    return { ok: true }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    return { ok: false, conflict: reason.includes('VERSION_CONFLICT'), reason }
  }
}
