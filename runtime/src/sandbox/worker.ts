// Entry point of the sandbox worker thread. It owns the WebAssembly instances; the main thread
// owns storage and answers reads over the sync channel.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import v8 from 'node:v8'
import { createSyncCaller } from './sync-channel.ts'
import { CompiledCache } from './compiled-cache.ts'
import type { WorkerCacheReport, WorkerForget, WorkerRequest, WorkerResponse } from './protocol.ts'

// The QuickJS component uses extended-const; Node 20 still keeps it behind a flag.
v8.setFlagsFromString('--experimental-wasm-extended-const')

const { port, signal, memoryBudgetBytes } = workerData as { port: MessagePort; signal: SharedArrayBuffer; memoryBudgetBytes: number }
const read = createSyncCaller(port, new Int32Array(signal))
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

parentPort!.on('message', async (message: WorkerRequest | WorkerForget) => {
  if ('forget' in message) {
    cache.forget(message.forget)
    report()
    return
  }
  const request = message
  let response: WorkerResponse
  try {
    const runner = await cache.runner(request.codeHash, request.dir)
    const outcome = runner.run(request.info, request.input, request.limits, read, request.reuse ?? true)
    response = { id: request.id, ok: true, outcome }
  } catch (err) {
    response = { id: request.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }
  }
  // Before the answer, so the main thread's figures are current once the invocation returns.
  await cache.settle(request.codeHash)
  report()
  parentPort!.postMessage(response)
})
