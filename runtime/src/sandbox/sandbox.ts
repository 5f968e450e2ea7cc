// Main-thread side of the sandbox: one worker thread, a queue of invocations, and the
// wall-clock watchdog. The watchdog is only a backstop (fuel ends runaway guests
// deterministically); when it fires, the invocation gets no result and the worker is replaced.
import { MessageChannel, Worker } from 'node:worker_threads'
import { serveSyncCalls, type ReadRequest } from './sync-channel.ts'
import {
  progressView,
  PROGRESS_BYTES,
  type BatchInvocation,
  type WorkerCacheReport,
  type WorkerForget,
  type WorkerPrepare,
  type WorkerRequest,
  type WorkerResponse,
} from './protocol.ts'
import { DEFAULT_MEMORY_BUDGET_BYTES, type CacheStats } from './compiled-cache.ts'
import type { InvocationOutcome } from './run-invocation.ts'
import { NexusError } from '@nexus/protocol'
import { workerBundlePath } from './worker-bundle.ts'
import { GUEST_NATIVE_STACK_MB } from './limits.ts'

/**
 * Young generation of the worker's V8 heap, MiB (two semi-spaces of a third each, and new large
 * objects). Under a backfill V8 grew it to its 48 MiB default (jco's glue makes garbage on every
 * call) and nothing shrank it while the replica then stayed idle: ≈ 32 MB resident per replica.
 * 12 MiB measured ≈ 23 MB less resident after a 10,240-event backfill, the replica's CPU per event
 * unchanged within this machine's noise (docs/benchmarks.md, "Memory after a backfill"). What V8's
 * collector does never reaches a guest: its memory is WebAssembly's, its cost is counted in fuel.
 */
const SANDBOX_YOUNG_GENERATION_MB = 12

export class SandboxError extends NexusError {
  override name = 'SandboxError'
  override code = 'SANDBOX_FAILED'
}

/**
 * The wall-clock backstop fired: the invocation has no result and nothing was recorded. The gateway
 * settles it through the log as an attested abort (docs/runtime.md, "Watchdog aborts").
 */
export class WatchdogError extends SandboxError {
  override name = 'WatchdogError'
  override code = 'WATCHDOG'
  // Nothing was recorded; the gateway settles it as an abort in the log.
  override status = 503
  /** Which invocation of its batch ran too long (0 when it ran alone). */
  index = 0
}

export type ExecuteParameters = Omit<WorkerRequest, 'id' | 'invocations'> &
  BatchInvocation & {
    /** Answers the worker's storage reads for this invocation. */
    read: (request: ReadRequest) => Promise<unknown>
  }

export type ExecuteBatchParameters = Omit<WorkerRequest, 'id'> & {
  /** Answers the worker's storage and chain reads; `index` is the invocation (in `invocations`) that reads. */
  read: (request: ReadRequest, index: number) => Promise<unknown>
}

export type Sandbox = {
  execute(parameters: ExecuteParameters): Promise<InvocationOutcome>
  /**
   * Runs consecutive invocations of one code in ONE worker message, in order, each on a fresh
   * instance and each seeing the writes of the earlier successful ones (batch-state.ts); their
   * outcomes come back together. The watchdog times each invocation on its own and rejects with a
   * WatchdogError naming the `index` of the one that ran too long (the others' outcomes are lost
   * with the worker: the caller reruns them, deterministically).
   */
  executeBatch(parameters: ExecuteBatchParameters): Promise<InvocationOutcome[]>
  /**
   * Loads a component into the worker's cache and makes its first instance, ahead of its first
   * invocation (a deploy): the worker's start, the module compile and the instantiation (≈ 0.3 s
   * for a QuickJS component) are then not on that invocation's path. Queued behind the batch
   * running; a failure is left for the first invocation to report.
   */
  prepare(codeHash: string, dir: string): Promise<void>
  /** Drops components from the worker's cache: no live function runs them (compiled-cache.ts). */
  forget(codeHashes: string[]): void
  /** The worker's component cache as it last reported it (zeros before the first invocation). */
  cacheStats(): CacheStats
  close(): Promise<void>
}

export type SandboxOptions = {
  /** Wall-clock backstop per invocation. Default: 30 s. */
  watchdogMs?: number
  /** Byte budget of the worker's component cache (compiled-cache.ts). Default: 64 MiB. */
  memoryBudgetBytes?: number
}

type Reader = ExecuteBatchParameters['read']

export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const watchdogMs = options.watchdogMs ?? 30_000
  const memoryBudgetBytes = options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES
  const emptyStats: CacheStats = { bytes: 0, entries: 0, evictions: 0, forgotten: 0, budget: memoryBudgetBytes }
  // Evictions and forgets add up over replaced workers (a watchdog restart starts an empty cache).
  let stats = emptyStats
  let counted = { evictions: 0, forgotten: 0 }
  let worker: { thread: Worker; reader: { current?: Reader }; progress: ReturnType<typeof progressView> } | undefined
  let nextId = 1
  // One batch at a time per worker: the sync channel serves one blocked caller.
  let queue: Promise<unknown> = Promise.resolve()

  async function spawn() {
    const { port1, port2 } = new MessageChannel()
    const signal = new SharedArrayBuffer(4)
    const progressBuffer = new SharedArrayBuffer(PROGRESS_BYTES)
    const progress = progressView(progressBuffer)
    const reader: { current?: Reader } = {}
    serveSyncCalls(port1, new Int32Array(signal), (request) => {
      if (!reader.current) return Promise.reject(new Error('no invocation is running'))
      // The worker is blocked in this read: the invocation it is at is the one reading.
      return reader.current(request, progress.index())
    })
    const thread = new Worker(await workerBundlePath(), {
      workerData: { port: port2, signal, progress: progressBuffer, memoryBudgetBytes },
      transferList: [port2],
      resourceLimits: { stackSizeMb: GUEST_NATIVE_STACK_MB, maxYoungGenerationSizeMb: SANDBOX_YOUNG_GENERATION_MB },
    })
    const base = { evictions: stats.evictions, forgotten: stats.forgotten }
    counted = base
    stats = { ...emptyStats, ...base }
    thread.on('message', (message: WorkerResponse | WorkerCacheReport) => {
      if (!('cache' in message) || counted !== base) return
      const c = message.cache
      stats = { ...c, evictions: base.evictions + c.evictions, forgotten: base.forgotten + c.forgotten }
    })
    thread.unref()
    port1.unref()
    return { thread, reader, progress }
  }

  async function run(parameters: ExecuteBatchParameters): Promise<InvocationOutcome[]> {
    worker ??= await spawn()
    const current = worker
    current.reader.current = parameters.read
    const id = nextId++
    const { read: _read, ...rest } = parameters
    const request: WorkerRequest = { id, ...rest }
    current.progress.start(0)
    try {
      return await new Promise<InvocationOutcome[]>((resolve, reject) => {
        // Each invocation gets `watchdogMs` from its own start (the worker records it in `progress`).
        const check = () => {
          const left = current.progress.startedAt() + watchdogMs - Date.now()
          if (left > 0) {
            timer = setTimeout(check, left)
            return
          }
          cleanup()
          void current.thread.terminate()
          if (worker === current) worker = undefined
          const error = new WatchdogError(`Invocation exceeded the ${watchdogMs} ms watchdog; the sandbox was restarted.`)
          error.index = current.progress.index()
          reject(error)
        }
        let timer = setTimeout(check, watchdogMs)
        const onMessage = (response: WorkerResponse) => {
          if (response.id !== id) return
          cleanup()
          if (response.ok) resolve(response.outcomes)
          else reject(new SandboxError('The sandbox failed to run the invocation.', { details: response.error }))
        }
        const onError = (err: Error) => {
          cleanup()
          if (worker === current) worker = undefined
          reject(new SandboxError('The sandbox worker crashed.', { cause: err }))
        }
        const cleanup = () => {
          clearTimeout(timer)
          current.thread.off('message', onMessage)
          current.thread.off('error', onError)
        }
        current.thread.on('message', onMessage)
        current.thread.on('error', onError)
        current.thread.postMessage(request)
      })
    } finally {
      current.reader.current = undefined
    }
  }

  function enqueue(parameters: ExecuteBatchParameters): Promise<InvocationOutcome[]> {
    const result = queue.then(() => run(parameters))
    queue = result.catch(() => undefined)
    return result
  }

  return {
    async execute({ info, input, read, ...rest }) {
      const [outcome] = await enqueue({ ...rest, invocations: [{ info, input }], read: (request) => read(request) })
      return outcome!
    },
    executeBatch: enqueue,
    prepare(codeHash, dir) {
      const sent = queue.then(async () => {
        worker ??= await spawn()
        worker.thread.postMessage({ prepare: { codeHash, dir } } satisfies WorkerPrepare)
      })
      queue = sent.catch(() => undefined)
      return sent
    },
    forget(codeHashes) {
      if (worker && codeHashes.length > 0) worker.thread.postMessage({ forget: codeHashes } satisfies WorkerForget)
    },
    cacheStats() {
      return stats
    },
    async close() {
      await queue
      if (worker) await worker.thread.terminate()
      worker = undefined
    },
  }
}
