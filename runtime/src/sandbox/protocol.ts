import type { InvocationInfo } from './invocation-context.ts'
import type { Limits } from './limits.ts'
import type { InvocationOutcome } from './run-invocation.ts'
import type { CacheStats } from './compiled-cache.ts'

/** Main thread → sandbox worker. */
export type WorkerRequest = {
  id: number
  codeHash: string
  /** Folder of the compiled artifact (see build/compile.ts). */
  dir: string
  info: InvocationInfo
  input: Uint8Array
  limits: Limits
  /** Default true: restore the pristine snapshot instead of instantiating anew. */
  reuse?: boolean
}

/** Sandbox worker → main thread. `ok: false` is a host failure, never a guest result. */
export type WorkerResponse = { id: number; ok: true; outcome: InvocationOutcome } | { id: number; ok: false; error: string }

/** Main thread → sandbox worker: drop these components from the cache (no live function runs them). */
export type WorkerForget = { forget: string[] }

/** Sandbox worker → main thread, whenever its component cache changed (for /metrics). */
export type WorkerCacheReport = { cache: CacheStats }
