// Batching (docs/protocol.md §4): when several seqs are pending, the first loop to reach them cuts
// a batch [start, end] (up to maxBatch) and every replica is sent that same range, executes it in
// one transaction and signs one share over the Merkle root of the digests. t equal roots → one
// combine, every result recorded with its inclusion proof. When no root can reach t any more, the
// batch falls back to one-by-one attestation.
import type { Hex } from 'viem'
import { combineShares, createAttestedResult, merkleRoot, merkleTree, TooFewSignersError, type AttestedResult } from '@nexus/protocol/attest'
import type { ReplicaExecuteResult } from '../replicas/index.ts'
import type { SchedulerContext } from './context.ts'
import { agreedLogs, done, evict, rootGroups, type Batch, type Lane, type Slot } from './lane.ts'
import type { LogLine } from '@nexus/protocol'
import type { Outcomes } from './outcome.ts'
import { rejectedShares, type Quorum } from './quorum.ts'
import { nextBatchCap } from './batch-size.ts'

export type Batches = ReturnType<typeof createBatches>

/** A share combineShares rejected no longer counts: mark the replica(s) that sent it. */
function markInvalid(batch: Batch, members: number[], shareIndex: number) {
  for (const m of members) {
    const response = batch.responses.get(m)
    if (response?.share?.index === shareIndex) response.invalid = true
  }
}

/**
 * A settled batch keeps who answered it (a second answer from the same replica is ignored), not the
 * answers: a lane keeps up to 1,024 batches, and a backfill's would otherwise hold every result of
 * every replica (≈ 1 KB per seq and replica) until the gateway stops.
 */
function keepWhoAnswered(batch: Batch) {
  batch.roots = undefined
  for (const response of batch.responses.values()) response.results = []
}

export function createBatches(ctx: SchedulerContext, { outcomes, quorum }: { outcomes: Outcomes; quorum: Quorum }) {
  const { log, network, metrics, onEvent, divergence, replicaIndexes, n, maxBatchBytes } = ctx

  /** Tell the batch-size controller how a batch went (attested or split). */
  function adapt(lane: Lane, batch: Batch, agreed: boolean) {
    const elapsedMs = batch.sentAt === undefined ? 0 : performance.now() - batch.sentAt
    const size = Number(batch.end - batch.start + 1n)
    const cap = nextBatchCap(lane.batchCap, { size, elapsedMs, agreed, backlog: lane.head > batch.end }, ctx)
    if (cap !== lane.batchCap) onEvent(`batches of ${lane.functionId}: at most ${cap} seqs (a batch of ${size} took ${elapsedMs.toFixed(0)} ms)`)
    lane.batchCap = cap
    metrics.set(
      'nexus_batch_cap',
      'Most seqs the next batch of the function may hold (grows while a backlog attests quickly)',
      { function: lane.functionId },
      cap,
    )
  }

  /**
   * The batch containing `cursor`, or a new one from `cursor` to what is pending (capped).
   * `settledUntil`: a spare's catch-up over invocations attested one by one (see settledRun); their
   * single-invocation entries do not split it.
   */
  function batchAt(lane: Lane, cursor: bigint, settledUntil?: bigint): Batch {
    const counts = (b: Batch) => settledUntil === undefined || !b.single
    for (const b of lane.batches.values()) if (b.start <= cursor && cursor <= b.end && counts(b)) return b
    let end = settledUntil ?? lane.head
    if (end - cursor + 1n > BigInt(lane.batchCap)) end = cursor + BigInt(lane.batchCap) - 1n
    for (const b of lane.batches.values()) if (b.start > cursor && b.start <= end && counts(b)) end = b.start - 1n
    const batch: Batch = { start: cursor, end, responses: new Map(), single: end === cursor, settled: false }
    lane.batches.set(cursor, batch)
    if (lane.batches.size > 1024)
      for (const [start, b] of lane.batches) {
        if (lane.batches.size <= 512) break
        if (b.settled || b.single) lane.batches.delete(start)
      }
    return batch
  }

  /**
   * Keep one batch request under `maxBatchBytes` (the replica's body limit is 32 MiB): a batch
   * nobody has answered yet is cut back to the prefix that fits. Everyone then sees the shorter range.
   */
  function fitRequestSize(batch: Batch, slots: Slot[]): Slot[] {
    if (batch.responses.size > 0) return slots
    let bytes = 0
    for (let k = 0; k < slots.length; k++) {
      bytes += slots[k]!.invocation.input.length + 512
      if (bytes > maxBatchBytes && k > 0) {
        batch.end = batch.start + BigInt(k) - 1n
        batch.single = k === 1
        return slots.slice(0, k)
      }
    }
    return slots
  }

  /** A replica answered a whole batch: check every result, then try to attest the batch root. */
  async function onBatchResponse(
    lane: Lane,
    batch: Batch,
    slots: Slot[],
    replica: number,
    answer: { results: ReplicaExecuteResult[]; root: Hex; share?: { index: number; signature: Hex } },
  ) {
    // A stale answer for a range that was shrunk meanwhile (see fitRequestSize) is ignored.
    if (batch.responses.has(replica) || batch.single || slots.length !== Number(batch.end - batch.start + 1n)) return
    let invalid = false
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[k]!
      const r = answer.results[k]!
      const why = quorum.validate(slot, r)
      if (why) {
        invalid = true
        await quorum.recordLate(slot, { replica, digest: r.digest, reason: why })
      } else if (slot.attestedDigest !== undefined && r.digest !== slot.attestedDigest) {
        await quorum.recordLate(slot, { replica, digest: r.digest, reason: 'digest differs from the attested result' })
      }
    }
    // The root is recomputed here: a share is only counted for the root of the results it came with.
    const digests = answer.results.map((r) => r.digest)
    const listKey = digests.join()
    let root = invalid ? answer.root : batch.roots?.get(listKey)
    if (root === undefined) (batch.roots ??= new Map()).set(listKey, (root = merkleRoot(digests)))
    if (root !== answer.root.toLowerCase()) invalid = true
    batch.responses.set(replica, { root, share: answer.share, results: answer.results, invalid })
    if (batch.settled || slots.every(done)) {
      batch.settled = true
      // A spare catching up (or a replica back from down): its answers complete the slots.
      slots.forEach((slot, k) => {
        if (!slot.responses.has(replica)) slot.responses.set(replica, { replica, result: answer.results[k]! })
        evict(lane, slot, n)
      })
      keepWhoAnswered(batch)
      return
    }
    const groups = rootGroups(batch)
    for (const [groupRoot, members] of groups) {
      if (members.length < network.t) continue
      let combined
      try {
        combined = combineShares(
          groupRoot as Hex,
          members.map((m) => batch.responses.get(m)!.share!),
          network,
          {
            hashed: ctx.curve?.hashToG1(groupRoot as Hex),
            multiply: ctx.curve?.multiply,
            pairingCheck: ctx.curve?.pairingCheck,
            decodeOnCurve: ctx.curve?.decodeG1OnCurve,
          },
        )
      } catch (err) {
        if (!(err instanceof TooFewSignersError)) throw err
        for (const rej of rejectedShares(err)) markInvalid(batch, members, rej.index)
        continue
      }
      for (const rej of combined.rejected) markInvalid(batch, members, rej.index)
      const agreed = batch.responses.get(members[0]!)!.results
      const tree = merkleTree(agreed.map((r) => r.digest))
      const records: { slot: Slot; attested: AttestedResult; status: number; logs: LogLine[] }[] = []
      slots.forEach((slot, k) => {
        if (done(slot)) return
        const result = agreed[k]!
        slot.attestedDigest = result.digest
        for (const [other, x] of batch.responses)
          if (x.results[k]!.digest !== result.digest)
            quorum.disagree(slot, { replica: other, digest: x.results[k]!.digest, reason: 'digest differs from the attested result' })
        for (const rej of combined.rejected) quorum.disagree(slot, { replica: rej.index, digest: result.digest, reason: rej.reason })
        const attested = createAttestedResult({
          // quorum.validate compared this digest with its fields when the response came in.
          checkedDigest: result.digest,
          fields: result.fields,
          output: result.output,
          signature: combined.signature,
          signers: combined.signers,
          groupPublicKey: network.groupPublicKey,
          batch: { root: tree.root, index: k, size: slots.length, proof: tree.proofs[k]! },
        })
        const logs = agreedLogs(
          members.map((m) => batch.responses.get(m)!.results[k]!),
          result.digest,
        )
        records.push({ slot, attested, status: result.fields.status, logs })
      })
      try {
        await log.recordResults(records.map((x) => ({ id: x.slot.invocation.id, result: x.attested, disagreements: x.slot.disagreements, logs: x.logs })))
      } catch (err) {
        // Not recorded, so not settled: pending again, for the loop that starts again to re-send.
        for (const x of records) x.slot.attestedDigest = undefined
        throw err
      }
      batch.settled = true
      keepWhoAnswered(batch)
      metrics.inc('nexus_batches_total', 'Batches attested with one combined signature')
      adapt(lane, batch, members.length === batch.responses.size && combined.rejected.length === 0)
      for (const x of records) outcomes.settle(lane, x.slot, x.attested, x.status, x.logs)
      return
    }
    maybeSplit(lane, batch, groups)
  }

  /** No root of this batch can reach t (diverged replicas will not answer): attest it one by one. */
  function maybeSplit(lane: Lane, batch: Batch, groups = rootGroups(batch)) {
    if (batch.settled || batch.single) return
    const best = Math.max(0, ...[...groups.values()].map((m) => m.filter((r) => !batch.responses.get(r)!.invalid).length))
    const silent = divergence.silent(lane.functionId, replicaIndexes, (r) => batch.responses.has(r))
    if (best + (n - batch.responses.size - silent) >= network.t) return
    // No root can reach t: attest this range one invocation at a time (each replica re-serves its record).
    batch.single = true
    adapt(lane, batch, false)
    metrics.inc('nexus_batch_splits_total', 'Batches whose roots disagreed and fell back to single attestation')
    onEvent(`batch ${lane.functionId}#${batch.start}-${batch.end}: roots disagree, attesting one by one`)
    lane.rewind = lane.rewind.map(() => true)
    lane.wake()
  }

  return { batchAt, fitRequestSize, onBatchResponse, maybeSplit }
}
