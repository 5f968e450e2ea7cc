import type { InvocationInfo } from './invocation-context.ts'
import type { Limits } from './limits.ts'
import type { InvocationOutcome } from './run-invocation.ts'
import type { CacheStats } from './compiled-cache.ts'

/** One invocation of a batch: what the guest sees of it. */
export type BatchInvocation = { info: InvocationInfo; input: Uint8Array }

/**
 * Main thread → sandbox worker: consecutive invocations of one function and one code, run in order
 * in ONE message (each on a fresh instance; each sees the state the earlier ones left, batch-state.ts).
 */
export type WorkerRequest = {
  id: number
  codeHash: string
  /** Folder of the compiled artifact (see build/compile.ts). */
  dir: string
  invocations: BatchInvocation[]
  limits: Limits
  /** Default true: restore the pristine snapshot instead of instantiating anew. */
  reuse?: boolean
}

/** Sandbox worker → main thread, one outcome per invocation. `ok: false` is a host failure, never a guest result. */
export type WorkerResponse = { id: number; ok: true; outcomes: InvocationOutcome[] } | { id: number; ok: false; error: string }

/**
 * Where the worker is in its batch, shared with the main thread (a SharedArrayBuffer): the index of
 * the invocation running and when it started. The watchdog reads it to time each invocation on its
 * own and to name the one that ran too long; a storage or chain read reads it to know whose it is.
 */
export const PROGRESS_BYTES = 16
export function progressView(buffer: SharedArrayBuffer) {
  const index = new Int32Array(buffer, 0, 1)
  const startedAt = new Float64Array(buffer, 8, 1)
  return {
    start(i: number): void {
      startedAt[0] = Date.now()
      Atomics.store(index, 0, i)
    },
    index: () => Atomics.load(index, 0),
    startedAt: () => startedAt[0]!,
  }
}

/**
 * Main thread → sandbox worker: load this component and make its first instance now (a deploy), so
 * that its first invocation does not wait for the worker, the module compile and the instantiation.
 */
export type WorkerPrepare = { prepare: { codeHash: string; dir: string } }

/** Main thread → sandbox worker: drop these components from the cache (no live function runs them). */
export type WorkerForget = { forget: string[] }

/** Sandbox worker → main thread, whenever its component cache changed (for /metrics). */
export type WorkerCacheReport = { cache: CacheStats }
