// Entry point of the sandbox worker thread. It owns the WebAssembly instances; the main thread
// owns storage and answers reads over the sync channel.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import v8 from 'node:v8'
import { createSyncCaller } from './sync-channel.ts'
import { CompiledCache } from './compiled-cache.ts'
import type { InvocationOutcome } from './run-invocation.ts'
import { createBatchState } from './batch-state.ts'
import { progressView, type WorkerCacheReport, type WorkerForget, type WorkerPrepare, type WorkerRequest, type WorkerResponse } from './protocol.ts'
import { Status } from '@nexus/protocol/status'

// The QuickJS component uses extended-const; Node 20 still keeps it behind a flag.
v8.setFlagsFromString('--experimental-wasm-extended-const')
// jco's glue reads `process.env.JCO_DEBUG` on every lowered call (its `_debugLog`), dozens of times
// per invocation; the environment object answers each read from the C++ side (≈ 1.3 µs in a worker),
// a plain copy in ≈ 0.1 µs. Guests cannot see it either way (they run inside the component).
process.env = { ...process.env }
// …and it reaches the environment through `globalThis?.process`, which Node defines as an accessor
// (its getter ran ≈ 4 % of the worker's CPU in an event backfill): a plain data property, same object.
Object.defineProperty(globalThis, 'process', { value: process, writable: true, configurable: true, enumerable: false })

const { port, signal, progress, memoryBudgetBytes } = workerData as {
  port: MessagePort
  signal: SharedArrayBuffer
  progress: SharedArrayBuffer
  memoryBudgetBytes: number
}
const read = createSyncCaller(port, new Int32Array(signal))
const at = progressView(progress)
const cache = new CompiledCache(memoryBudgetBytes)
let reported = ''

/** Tells the main thread the cache's figures when they changed (its /metrics reads the last report). */
function report() {
  const stats = cache.stats()
  const text = JSON.stringify(stats)
  if (text === reported) return
  reported = text
  parentPort!.postMessage({ cache: stats } satisfies WorkerCacheReport)
}

parentPort!.on('message', async (message: WorkerRequest | WorkerForget | WorkerPrepare) => {
  if ('forget' in message) {
    cache.forget(message.forget)
    report()
    return
  }
  if ('prepare' in message) {
    const { codeHash, dir } = message.prepare
    try {
      ;(await cache.runner(codeHash, dir)).prepare()
    } catch {
      // Preparing is ahead of time only: the first invocation loads it again and reports what fails.
    }
    await cache.settle(codeHash).catch(() => {})
    report()
    return
  }
  const request = message
  let response: WorkerResponse
  try {
    const ready = await cache.runner(request.codeHash, request.dir)
    const state = createBatchState(read)
    const outcomes: InvocationOutcome[] = []
    for (const [i, { info, input }] of request.invocations.entries()) {
      at.start(i)
      const outcome = ready.run(info, input, request.limits, state.read, request.reuse ?? true)
      if (outcome.status === Status.ok) state.apply(outcome.writes)
      outcomes.push(outcome)
    }
    response = { id: request.id, ok: true, outcomes }
  } catch (err) {
    response = { id: request.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }
  }
  // Before the answer, so the main thread's figures are current once the invocation returns.
  await cache.settle(request.codeHash)
  report()
  parentPort!.postMessage(response)
})
