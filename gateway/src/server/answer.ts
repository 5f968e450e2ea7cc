// How the API answers an invocation it has just appended (POST /invoke and @onHttp routes alike):
// attested → 200, disputed → 502 NO_QUORUM with the disagreements, async or not ready within the
// timeout → 202 with the reason it is still pending (below quorum, async, or the wait ran out);
// always with the result URL in Location.
import type { Context } from 'hono'
import { InvalidRequestError } from '../errors.ts'
import type { Invocation } from '../log/index.ts'
import type { Scheduler } from '../scheduler/index.ts'
import { invocationJson } from './serialize.ts'

/** The longest a caller may ask the gateway to wait for a result, ms. */
export const MAX_TIMEOUT_MS = 60_000

/** A `timeoutMs` the caller gave (query value, or undefined for the default), checked before anything is appended. */
export function parseTimeoutMs(value: string | undefined, defaultMs: number): number {
  const timeoutMs = value === undefined ? defaultMs : Number(value)
  if (value === '' || !Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_TIMEOUT_MS)
    throw new InvalidRequestError(`timeoutMs must be an integer in 0..${MAX_TIMEOUT_MS}.`)
  return timeoutMs
}

/** `Prefer: respond-async` (RFC 7240) asks for a 202 at once. */
export const prefersAsync = (prefer: string | undefined) => /(^|[\s,;])respond-async\b/i.test(prefer ?? '')

/** Replicas answered but no digest reached t shares: a stable error code plus the disagreements. */
export const disputedJson = (inv: Invocation) => ({
  error: {
    code: 'NO_QUORUM',
    message: `Fewer than t replicas agree on any result of seq ${inv.seq}; the invocation is disputed.`,
    disagreements: inv.disagreements,
  },
  ...invocationJson(inv),
})

/** Why a 202 is still pending: the caller can tell "retry later" from "the network is below quorum". */
function pendingReason(scheduler: Scheduler, mode: 'sync' | 'async', timeoutMs: number) {
  const { up, n, t } = scheduler.replicasUp()
  if (up < t)
    return {
      reason: 'below_quorum',
      message: `Only ${up} of ${n} replicas are up and ${t} must sign; the invocation is kept and runs when enough are back.`,
      replicasUp: up,
      threshold: t,
    }
  if (mode === 'async') return { reason: 'async', message: 'Accepted; poll the result URL.' }
  return { reason: 'timeout', message: `Not attested within ${timeoutMs} ms; poll the result URL.` }
}

export async function answerInvocation(
  c: Context,
  scheduler: Scheduler,
  { invocation, created }: { invocation: Invocation; created: boolean },
  { mode, timeoutMs }: { mode: 'sync' | 'async'; timeoutMs: number },
): Promise<Response> {
  if (created) scheduler.submit(invocation)
  const location = { Location: `/v1/results/${invocation.id}` }
  const settled =
    invocation.state === 'pending' && mode === 'sync' ? await scheduler.waitFor(invocation.id, timeoutMs, created ? invocation : undefined) : invocation
  if (settled?.state === 'attested') return c.json(invocationJson(settled), 200, location)
  if (settled?.state === 'disputed') return c.json(disputedJson(settled), 502, location)
  return c.json({ ...invocationJson(invocation), pending: pendingReason(scheduler, mode, timeoutMs) }, 202, location)
}
