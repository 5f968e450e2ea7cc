// Results as the API serves them: read from the log, which only ever holds checked results. A
// single invocation is answered to its synchronous caller before its combined signature is checked
// and recorded (docs/gateway.md "Answer first, check before recording"); a reader that finds it
// still pending in the log waits for that record and reads the log again, rather than being served
// the scheduler's memory. The check runs ~checkDelayMs after the answer, but on a loaded machine
// (or with the log briefly unreachable, when the check retries) it can take seconds: a reader that
// gave up early would see `pending` for a result the caller already holds. RECORD_WAIT_MS only
// bounds a check that cannot record at all.
import type { Invocation, Log } from '../log/index.ts'
import type { Scheduler } from '../scheduler/index.ts'

const RECORD_WAIT_MS = 60_000

/** One invocation from the log, or undefined when there is none with this id. */
export async function readResult(log: Log, scheduler: Scheduler, id: string): Promise<Invocation | undefined> {
  const invocation = await log.getInvocation(id)
  if (!invocation || !(await scheduler.untilRecorded(invocation, RECORD_WAIT_MS))) return invocation
  return (await log.getInvocation(id)) ?? invocation
}

/** A page of a function's invocations (seq > afterSeq) from the log. */
export async function readResults(log: Log, scheduler: Scheduler, functionId: string, afterSeq: bigint, limit: number): Promise<Invocation[]> {
  const rows = await log.range(functionId, afterSeq, limit)
  const waited = await Promise.all(rows.map((row) => scheduler.untilRecorded(row, RECORD_WAIT_MS)))
  return waited.includes(true) ? log.range(functionId, afterSeq, limit) : rows
}
