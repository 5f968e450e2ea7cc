// Riding out a lost server: while a NATS server restarts or a stream elects a new leader, requests
// time out or find no responder for a few seconds. The log's writes are safe to repeat (each is
// conditional or writes the same record again), so they are retried for a while; an error the
// log itself decided (a GatewayError: unknown function, conflicting key) is never retried.
import { GatewayError } from '../../errors.ts'

/** How long a write keeps trying through a lost server or a leader election before it fails. */
export const GIVE_UP_MS = 30_000

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Backoff before attempt `attempt` (0-based): 25 ms doubling, at most 1 s. */
export const backoff = (attempt: number) => sleep(Math.min(1000, 25 * 2 ** attempt))

/** The server refused this login the subject or the connection: no retry will change that. */
const REFUSALS = new Set(['PermissionViolationError', 'AuthorizationError', 'UserAuthenticationExpiredError'])

/** Whether an error may pass if tried again: not the log's own verdicts, and not a refusal of this login. */
export function isTransient(err: unknown): boolean {
  if (err instanceof GatewayError) return false
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (REFUSALS.has(e.name) || /permissions violation/i.test(e.message)) return false
  return true
}

/** Run `write` until it succeeds, a GatewayError, or GIVE_UP_MS. */
export async function retrying<T>(write: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + GIVE_UP_MS
  for (let attempt = 0; ; attempt++) {
    try {
      return await write()
    } catch (err) {
      if (!isTransient(err) || Date.now() > deadline) throw err
      await backoff(attempt)
    }
  }
}
