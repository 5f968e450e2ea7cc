// Entry point of the sandbox worker thread. It owns the WebAssembly instances; the main thread
// owns storage and answers reads over the sync channel.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import v8 from 'node:v8'
import { createSyncCaller } from './sync-channel.ts'
import { loadCompiled } from './load-compiled.ts'
import { ComponentRunner } from './run-invocation.ts'
import type { WorkerRequest, WorkerResponse } from './protocol.ts'

// The QuickJS component uses extended-const; Node 20 still keeps it behind a flag.
v8.setFlagsFromString('--experimental-wasm-extended-const')

const { port, signal } = workerData as { port: MessagePort; signal: SharedArrayBuffer }
const read = createSyncCaller(port, new Int32Array(signal))
const runners = new Map<string, Promise<ComponentRunner>>()

parentPort!.on('message', async (request: WorkerRequest) => {
  let response: WorkerResponse
  try {
    let runner = runners.get(request.codeHash)
    if (!runner) {
      runner = loadCompiled(request.dir).then((c) => new ComponentRunner(c))
      runners.set(request.codeHash, runner)
      runner.catch(() => runners.delete(request.codeHash))
    }
    const outcome = (await runner).run(request.info, request.input, request.limits, read, request.reuse ?? true)
    response = { id: request.id, ok: true, outcome }
  } catch (err) {
    response = { id: request.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }
  }
  parentPort!.postMessage(response)
})
