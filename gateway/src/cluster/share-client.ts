// Replica i as the scheduler sees it in cluster mode. Replicas pull the log themselves and publish
// each share on NATS (log/jetstream/shares.ts), so "executing" seq s on replica i means waiting for
// replica i's share of s. Everything else the HTTP client does is either not needed (replicas read
// artifacts and versions from the log) or not possible (a reset is the replica operator's act).
// The scheduler runs with batching off and no hedge in cluster mode (gateway.ts): every replica
// applies every seq anyway, and a share is one invocation's.
import type { ShareInbox } from '../log/jetstream/shares.ts'
import { UnavailableInClusterModeError } from '../errors.ts'
import type { ReplicaClient } from '../replicas/index.ts'

export type CreateShareClientParameters = {
  index: number
  inbox: ShareInbox
  /** How long to wait for one share before the loop backs off and asks again, ms. Default: 10_000 (the HTTP client's timeout). */
  timeoutMs?: number
  /** A replica is up while its heartbeat or a share arrived this recently, ms. Default: 5_000. */
  aliveWithinMs?: number
  /** Resolves when the gateway stops: a wait in progress ends at once instead of at its timeout. */
  stopped?: Promise<void>
}

/**
 * A replica's applied position is not the gateway's to ask: the replica follows the log on its own.
 * This answer puts the loop's cursor on the lane's first pending seq (replica-loop.ts takes the lower
 * of lastAppliedSeq + 1 and that), which is exactly the seq whose share this gateway still needs.
 */
const FOLLOWS_THE_LOG = { lastAppliedSeq: 2n ** 63n - 1n, stateRoot: '0x' as const }

/** @example createShareClient({ index: 1, inbox: createShareInbox({ nc, jsm, subjects }) }) */
export function createShareClient({ index, inbox, timeoutMs = 10_000, aliveWithinMs = 5_000, stopped }: CreateShareClientParameters): ReplicaClient {
  const ended = stopped?.then(() => undefined) ?? new Promise<undefined>(() => {})
  return {
    index,
    url: `nats:replica-${index}`,
    async execute(req) {
      const answer = await Promise.race([inbox.wait(req.functionId, req.seq, index, timeoutMs), ended])
      if (!answer) return { kind: 'unavailable', reason: `no share from replica ${index} for ${req.functionId}#${req.seq} within ${timeoutMs} ms` }
      if (answer.kind === 'result') return { kind: 'ok', result: answer.result }
      if (answer.code === 'SEQ_MISMATCH') return { kind: 'diverged', reason: answer.message }
      // A WATCHDOG refusal still standing for a seq the log already marked aborted: the replica has
      // not applied the abort yet (its next message on the subject replaces the refusal); the loop
      // backs off and asks again rather than recording the abort a second time.
      if (req.abort) return { kind: 'unavailable', reason: `replica ${index} has not applied the abort of ${req.functionId}#${req.seq} yet` }
      return { kind: 'watchdog' }
    },
    async executeBatch() {
      // Batching is off in cluster mode (maxBatch 1): a batch here is a wiring mistake, not a replica's fault.
      return { kind: 'unavailable', reason: 'batches are not used in cluster mode' }
    },
    // Replicas read artifacts and function versions from the log.
    async pushArtifact() {},
    async pushVersions() {},
    async resetFunction(functionId) {
      throw new UnavailableInClusterModeError(
        `a cluster-mode gateway cannot reset replica ${index}'s ${functionId}: reset it on the replica (it re-applies the function from the log)`,
      )
    },
    async state() {
      return FOLLOWS_THE_LOG
    },
    async health() {
      const seen = inbox.lastSeen(index)
      return seen !== undefined && performance.now() - seen <= aliveWithinMs
    },
  }
}
