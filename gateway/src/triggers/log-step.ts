// How many blocks one getLogs of an event sink covers. A fixed 500 blocks made a dense backfill
// (thousands of logs per block) fetch and parse every log of its first 500 blocks, ≈ 10,000 in the
// events bench, before appending the first, so a new function's first result waited for all of
// them. A sink's range starts at one block and adapts to what the last one held: it doubles while
// a range holds at most half a log transaction (APPEND_RUN), and halves when it held more than two,
// so the first invocations are in the log after one small fetch, and a sparse history still moves
// up to MAX_LOG_STEP blocks a call after a few doublings.

/** Most blocks per getLogs (and per persisted cursor step: a crash re-delivers at most this much). */
export const MAX_LOG_STEP = 500n

/** A sink's first range in this process: one block. */
export const FIRST_LOG_STEP = 1n

/** The next range for a sink whose last range of `step` blocks held `logs` logs, aiming near `perRun` a call. */
export function nextLogStep(step: bigint, logs: number, perRun: number): bigint {
  if (logs > 2 * perRun) return step > 1n ? step / 2n : 1n
  if (logs <= perRun / 2) return step * 2n < MAX_LOG_STEP ? step * 2n : MAX_LOG_STEP
  return step
}
