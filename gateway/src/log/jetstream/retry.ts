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

/** Whether an error may pass if tried again (anything but the log's own verdicts). */
export const isTransient = (err: unknown): boolean => !(err instanceof GatewayError)

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
