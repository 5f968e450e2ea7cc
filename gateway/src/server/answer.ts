// How the API answers an invocation it has just appended (POST /invoke and @onHttp routes alike):
// attested → 200, disputed → 502 NO_QUORUM with the disagreements, async or not ready within the
// timeout → 202; always with the result URL in Location.
import type { Context } from 'hono'
import type { Invocation } from '../log/index.ts'
import type { Scheduler } from '../scheduler/index.ts'
import { invocationJson } from './serialize.ts'

/** Replicas answered but no digest reached t shares: a stable error code plus the disagreements. */
const noQuorum = (inv: Invocation) => ({
  error: { code: 'NO_QUORUM', message: `Fewer than t replicas agree on any result of seq ${inv.seq}; the invocation is disputed.`, disagreements: inv.disagreements },
  ...invocationJson(inv),
})

export async function answerInvocation(
  c: Context,
  scheduler: Scheduler,
  { invocation, created }: { invocation: Invocation; created: boolean },
  { mode, timeoutMs }: { mode: 'sync' | 'async'; timeoutMs: number },
): Promise<Response> {
  if (created) scheduler.submit(invocation)
  const location = { Location: `/v1/results/${invocation.id}` }
  const settled = invocation.state === 'pending' && mode === 'sync' ? await scheduler.waitFor(invocation.id, timeoutMs, created ? invocation : undefined) : invocation
  if (settled?.state === 'attested') return c.json(invocationJson(settled), 200, location)
  if (settled?.state === 'disputed') return c.json(noQuorum(settled), 502, location)
  return c.json(invocationJson(invocation), 202, location)
}
