// How many seqs the next batch of a lane may hold. A batch is cut from what is pending, so at the
// tip it is as small as the backlog; the cap only matters while a backlog is deep. It starts at
// maxBatch and, while full batches keep attesting with every replica agreeing and within
// batchTargetMs, doubles toward maxBatchBacklog: fewer combines, HTTP rounds and replica
// transactions per event. A slow batch halves it (a big batch is a long wait for its first result
// and a long request), and a batch whose roots disagreed puts it back to maxBatch.

export type BatchSizeOptions = { maxBatch: number; maxBatchBacklog: number; batchTargetMs: number }

/** What one attested (or split) batch tells the controller. */
export type BatchOutcomeSample = {
  /** Seqs in the batch. */
  size: number
  /** First send to t agreeing roots combined, ms. */
  elapsedMs: number
  /** Every replica that answered sent the agreed root (no disagreement, no split). */
  agreed: boolean
  /** More seqs were pending behind the batch when it attested. */
  backlog: boolean
}

/** The cap after `sample`, from `cap`. */
export function nextBatchCap(cap: number, sample: BatchOutcomeSample, { maxBatch, maxBatchBacklog, batchTargetMs }: BatchSizeOptions): number {
  const ceiling = maxBatch <= 1 ? maxBatch : Math.max(maxBatch, maxBatchBacklog) // maxBatch 1: batching is off
  if (!sample.agreed) return maxBatch
  if (sample.elapsedMs > 2 * batchTargetMs) return Math.max(maxBatch, Math.floor(cap / 2))
  if (sample.backlog && sample.size >= cap && sample.elapsedMs <= batchTargetMs) return Math.min(ceiling, cap * 2)
  return cap
}
