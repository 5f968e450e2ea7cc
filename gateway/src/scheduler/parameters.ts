// What createScheduler takes. The defaults live in index.ts; the "why" of each knob is here,
// beside the knob, because operators read this to tune a gateway.
import type { Network } from '@nexus/protocol/attest'
import type { WasmCurve } from '@nexus/protocol/attest'
import type { Invocation, Log } from '../log/index.ts'
import type { Metrics } from '../metrics.ts'
import type { ReplicaClient } from '../replicas/index.ts'

export type CreateSchedulerParameters = {
  log: Log
  replicas: ReplicaClient[]
  network: Network
  metrics: Metrics
  /** Most seqs per batch, and where the adaptive cap starts (batch-size.ts). Default: 256 (1 disables batching). */
  maxBatch?: number
  /**
   * Most seqs per batch while a backlog is deep: the cap doubles from maxBatch toward this while full
   * batches attest with every replica agreeing within batchTargetMs. Default: 1024.
   */
  maxBatchBacklog?: number
  /** A batch that took longer than this (first send to combined) stops the cap growing; twice this halves it, ms. Default: 3000. */
  batchTargetMs?: number
  /** Request body budget of one batch, bytes (the replica accepts 32 MiB; inputs travel as hex). Default: 16 MiB. */
  maxBatchBytes?: number
  /** Backoff bounds for an unavailable replica, ms. Default: 25 → 2000. */
  backoff?: { minMs: number; maxMs: number }
  /**
   * Check a single invocation's combined signature before answering waiters (true), or answer as
   * soon as t matching shares combine and check right after, batched, before recording (false).
   * Default: false — see docs/gateway.md "Answer first, check before recording".
   */
  verifyBeforeAnswer?: boolean
  /**
   * How long combined signatures wait to be checked together, ms: the pairing (≈ 5 ms with `curve`,
   * 15–25 ms with noble) is shared by everything combined meanwhile, so one-at-a-time traffic pays it
   * once per ~200 ms instead of once per invocation. Default: 200 (0 with verifyBeforeAnswer).
   */
  checkDelayMs?: number
  /**
   * A single invocation goes to the first `t` replicas that reach it; the other `n − t` are sent it
   * once those answered (attested, or not enough agreement), one of them failed, or after this many
   * ms, whichever is first. Every replica still applies every seq; the spares just do it off the
   * answer's path, which matters when replicas share CPUs (the dev stack: 4 replicas, 2 cores).
   * A batch likewise goes to the first `t`; a spare applies it once that first wave has worked
   * through the backlog, or at once when the batch needs it (spares.ts, hedgeBatch).
   * 0 sends to all at once, batches too. Default: 50.
   */
  hedgeMs?: number
  /**
   * A spare that reaches invocations already attested (it was not needed for them) applies them
   * later, in one batch: it waits while the function has invocations in flight, up to this many ms,
   * so that its work (execution, signature, one HTTP call each) is not done beside the next
   * invocation's first wave on the same CPUs. It goes at once when a pending invocation needs help
   * (a first-wave replica failed, disagreed or is slower than hedgeMs, or a replica loop is down).
   * 0: catch up at once, one invocation at a time. Default: 200.
   */
  spareCatchUpMs?: number
  /**
   * How long the function must have been quiet (nothing in flight, submitted or answered) before a
   * spare catches up early, ms. A synchronous caller sends its next invocation within a few ms of
   * its answer. Default: 10.
   */
  spareQuietMs?: number
  /**
   * A batch spare (hedgeMs) waits out a backlog only while it is at most this many seqs behind the
   * head: on a longer backfill it then applies batches as they settle, so that a first-wave replica
   * failing never leaves it more than this much to catch up before attestation goes on. Default: 16,384.
   */
  spareMaxLag?: number
  /**
   * Faster curve operations for combining and checking (protocol/src/attest/wasm-loader.ts), or
   * their promise: noble until it resolves (the same results), so building them stays off a start.
   * Default: noble.
   */
  curve?: WasmCurve | Promise<WasmCurve | undefined>
  onEvent?: (message: string) => void
  /** Called once an invocation's attested result is in the log, with its log lines (`nexus dev` prints them). */
  onResult?: (invocation: Invocation) => void
}

/** The parameters with every default applied, as the scheduler's parts see them. */
export type SchedulerOptions = Required<Omit<CreateSchedulerParameters, 'curve'>> & {
  /** Read at each use: undefined (noble) until the curve's promise resolves. */
  curve?: WasmCurve
}
