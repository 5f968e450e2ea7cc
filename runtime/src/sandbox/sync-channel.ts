// Synchronous calls from the sandbox worker to the main thread. WebAssembly host imports are
// synchronous but our databases (PGlite, postgres) are async, so a storage read blocks the
// worker on Atomics.wait while the main thread answers on a dedicated MessagePort.
import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads'
import type { ChainReadRequest } from '../chain/requests.ts'

export type ReadRequest =
  | { op: 'kv.get'; key: string }
  | { op: 'kv.scan'; prefix: string; startAfter: string | null; limit: number }
  | { op: 'fs.get'; path: string }
  | { op: 'fs.children'; dir: string }
  | { op: 'fs.descendants'; dir: string }
  | ChainReadRequest

export type FileEntry = { kind: 'file'; data: Uint8Array } | { kind: 'dir' }

export type ReadResponse = { ok: true; value: unknown } | { ok: false; error: string }

/** Worker side: send a request and block until the answer arrives. */
export function createSyncCaller(port: MessagePort, signal: Int32Array) {
  return function call<T>(request: ReadRequest): T {
    Atomics.store(signal, 0, 0)
    port.postMessage(request)
    // The main thread always answers (errors included); the wall-clock watchdog ends the worker
    // if it does not, so an unbounded wait cannot wedge a replica. Loop: the previous answer's
    // `notify` can land after this call reset the signal, waking us before our answer was posted.
    while (Atomics.load(signal, 0) === 0) Atomics.wait(signal, 0, 0)
    const message = receiveMessageOnPort(port)
    if (!message) throw new Error('storage channel: no response')
    const response = message.message as ReadResponse
    if (!response.ok) throw new Error(`storage read failed: ${response.error}`)
    return response.value as T
  }
}

/** Main side: answer each request with `handler` and wake the worker. */
export function serveSyncCalls(port: MessagePort, signal: Int32Array, handler: (request: ReadRequest) => Promise<unknown>): void {
  port.on('message', (request: ReadRequest) => {
    handler(request)
      .then(
        (value) => ({ ok: true, value }) as const,
        (err: unknown) => ({ ok: false, error: err instanceof Error ? err.message : String(err) }) as const,
      )
      .then((response) => {
        port.postMessage(response)
        Atomics.store(signal, 0, 1)
        Atomics.notify(signal, 0)
      })
  })
}
