// Combined signatures of single invocations are checked in groups, one pairing for all of them
// (findInvalidSignatures), before they are recorded. Waiters may already have their answer: a
// threshold signature is unique, so the checked one is the one they got, unless a replica sent an
// invalid share, which is then excluded and the result re-combined (repair).
import type { Hex } from 'viem'
import {
  combineShares,
  createAttestedResult,
  decodeG2,
  findInvalidSignatures,
  hashToG1,
  TooFewSignersError,
  type AttestedResult,
  type G1Point,
  type ResultFields,
} from '@nexus/protocol/attest'
// Internal: with the curve's test, remembers a point found in the subgroup, so findInvalidSignatures does not check it again.
import { assertInSubgroup } from '@nexus/protocol/attest'
import type { SchedulerContext } from './context.ts'
import { agreedLogs, type Lane, type Slot } from './lane.ts'
import type { LogLine } from '@nexus/protocol'
import type { Outcomes } from './outcome.ts'
import { rejectedShares, type Quorum } from './quorum.ts'

/** One combined signature waiting for its check, with what re-combining it needs. */
export type Check = {
  lane: Lane
  slot: Slot
  digest: string
  attested: AttestedResult
  point: G1Point
  fields: ResultFields
  output: Hex
  /** The handler's log lines (not signed), kept with the result. */
  logs: LogLine[]
}

/** How long a check that failed (its log write, typically) waits before it runs again. */
const RETRY_MS = 1_000

export function createChecks(ctx: SchedulerContext, { outcomes, quorum }: { outcomes: Outcomes; quorum: Quorum }) {
  const { log, network, metrics, onEvent, checkDelayMs } = ctx
  const groupKey = decodeG2(network.groupPublicKey)
  let queue: Check[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  let checking: Promise<void> = Promise.resolve()
  const run = () => {
    timer = undefined
    const items = queue
    queue = []
    checking = checking
      .then(() => checkAll(items))
      .catch((err: unknown) => {
        // Typically the log could not record (a database restart): the answered results are
        // still good, so they are checked and recorded again rather than left answered forever.
        const left = items.filter((x) => !x.slot.recorded && x.slot.attestedDigest === x.digest)
        onEvent(
          `signature check failed${left.length ? `, again in ${RETRY_MS} ms for ${left.length} result(s)` : ''}: ${err instanceof Error ? err.message : String(err)}`,
        )
        if (left.length === 0) return
        queue.push(...left)
        timer ??= setTimeout(run, RETRY_MS)
      })
    return checking
  }

  async function checkAll(items: Check[]) {
    if (items.length === 0) return
    // Per signature ≈ 1 ms with `curve`, ≈ 2.2 ms with noble (hash-to-G1, subgroup check; a point
    // found in the subgroup is remembered), one at a time with the event loop let in between:
    // replica answers and HTTP requests that arrive meanwhile wait for one item, not for the
    // group. Only the pairing below is one block.
    const hashed: G1Point[] = []
    for (const x of items) {
      hashed.push(ctx.curve ? ctx.curve.hashToG1(x.digest as Hex) : hashToG1(x.digest as Hex))
      try {
        assertInSubgroup(x.point, ctx.curve?.isInSubgroup)
      } catch {
        // findInvalidSignatures reports it (it checks every point not known to be in the subgroup)
      }
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    const invalid = new Set(
      findInvalidSignatures(
        items.map((x, k) => ({ hashed: hashed[k]!, signature: x.point })),
        groupKey,
        { multiply: ctx.curve?.multiply, pairingCheck: ctx.curve?.pairingCheck },
      ),
    )
    const good = items.filter((_, k) => !invalid.has(k))
    if (good.length)
      await log.recordResults(good.map((x) => ({ id: x.slot.invocation.id, result: x.attested, disagreements: x.slot.disagreements, logs: x.logs })))
    for (const x of good) outcomes.settle(x.lane, x.slot, x.attested, x.fields.status, x.logs)
    for (const k of invalid) await repair(items[k]!, hashed[k]!)
  }

  /** A combined signature did not verify: find the bad shares, exclude them, combine again. */
  async function repair(check: Check, hashed: G1Point) {
    const { lane, slot, digest } = check
    metrics.inc('nexus_bad_combined_signatures_total', 'Combined signatures that failed their check (a replica sent an invalid share)')
    const agreeing = [...slot.responses.values()].filter(
      (x) => x.result.digest === digest && x.result.share && !slot.disagreements.some((d) => d.replica === x.replica),
    )
    let combined
    try {
      combined = combineShares(
        digest as Hex,
        agreeing.map((x) => x.result.share!),
        network,
        { hashed, multiply: ctx.curve?.multiply, pairingCheck: ctx.curve?.pairingCheck, decodeOnCurve: ctx.curve?.decodeG1OnCurve },
      )
    } catch (err) {
      if (!(err instanceof TooFewSignersError)) throw err
      for (const rej of rejectedShares(err)) quorum.disagree(slot, { replica: rej.index, digest, reason: rej.reason })
      // Not enough good shares yet: back to pending; later answers (or a dispute) settle it.
      onEvent(`${slot.invocation.functionId}#${slot.invocation.seq}: combined signature invalid, waiting for more shares`)
      outcomes.unanswer(slot)
      // A spare may have applied it in a catch-up batch (no share): loops re-read their position and
      // re-send it (a replica re-serves an applied seq, signed), in a new batch or alone.
      for (const [start, b] of lane.batches) if (b.start <= slot.invocation.seq && slot.invocation.seq <= b.end) lane.batches.delete(start)
      lane.rewind = lane.rewind.map(() => true)
      lane.wake()
      return quorum.maybeDispute(lane, slot)
    }
    for (const rej of combined.rejected) quorum.disagree(slot, { replica: rej.index, digest, reason: rej.reason })
    const attested = createAttestedResult({
      fields: check.fields,
      output: check.output,
      signature: combined.signature,
      signers: combined.signers,
      groupPublicKey: network.groupPublicKey,
    })
    const logs = agreedLogs(
      agreeing.map((x) => x.result),
      digest,
    )
    await log.recordResult(slot.invocation.id, attested, slot.disagreements, logs)
    outcomes.settle(lane, slot, attested, check.fields.status, logs)
  }

  return {
    add(check: Check) {
      queue.push(check)
      if (queue.length >= 64) void run()
      else timer ??= setTimeout(run, checkDelayMs)
    },
    /** Check and record everything queued (scheduler stop). */
    async drain() {
      if (timer) clearTimeout(timer)
      await run()
    },
  }
}
