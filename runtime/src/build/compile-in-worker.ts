// Runs the compile step (compile-files.ts: jco + binaryen) in a worker thread that ends once it
// has been idle for a moment. binaryen alone kept ≈ 700 MB of resident memory in every process that
// ever compiled (each replica, the dev process for the deploy check), for the process's lifetime;
// a worker's heap goes when the worker does. A burst of deploys shares one worker.
import { Worker } from 'node:worker_threads'
import { bundleWorker } from '../sandbox/worker-bundle.ts'
import { InvalidArtifactError } from './errors.ts'
import type { CompileRequest, CompileResponse } from './compile-worker.ts'

/** How long an idle compile worker stays for the next compile before it ends (and frees its memory). */
const IDLE_MS = 2_000

type Pending = { resolve: (files: Record<string, Uint8Array>) => void; reject: (err: Error) => void }
let worker: { thread: Worker; pending: Map<number, Pending> } | undefined
let idleTimer: NodeJS.Timeout | undefined
let nextId = 1

/** The compile worker's bundle (compile-worker.ts). */
export const compileWorkerBundlePath = () => bundleWorker(new URL('./compile-worker', import.meta.url))

async function spawn() {
  const thread = new Worker(await compileWorkerBundlePath())
  const current = { thread, pending: new Map<number, Pending>() }
  const fail = (err: Error) => {
    if (worker === current) worker = undefined
    for (const p of current.pending.values()) p.reject(err)
    current.pending.clear()
  }
  thread.on('message', (response: CompileResponse) => {
    const p = current.pending.get(response.id)
    if (!p) return
    current.pending.delete(response.id)
    if (response.files) p.resolve(response.files)
    else if (response.refused) p.reject(new InvalidArtifactError(response.refused, { details: response.cause }))
    else p.reject(new Error(`the compile worker failed: ${response.error}`))
    if (current.pending.size === 0) scheduleEnd(current)
  })
  thread.on('error', fail)
  thread.on('exit', () => fail(new Error('the compile worker exited')))
  return current
}

function scheduleEnd(current: NonNullable<typeof worker>) {
  clearTimeout(idleTimer)
  idleTimer = setTimeout(() => {
    if (worker !== current || current.pending.size > 0) return
    worker = undefined
    void current.thread.terminate()
  }, IDLE_MS)
  idleTimer.unref()
}

let spawning: Promise<NonNullable<typeof worker>> | undefined

/**
 * The compiled files of `component` (jco glue + metered core modules), compiled in the shared
 * compile worker. InvalidArtifactError when the component cannot be compiled.
 */
export async function compileFiles(
  component: Uint8Array,
  memoryPages: number,
  options: { checkWorld?: string; moduleCache?: string } = {},
): Promise<Record<string, Uint8Array>> {
  if (!worker) {
    spawning ??= spawn().finally(() => (spawning = undefined))
    worker = await spawning
  }
  const current = worker
  clearTimeout(idleTimer)
  const id = nextId++
  return new Promise((resolve, reject) => {
    current.pending.set(id, { resolve, reject })
    current.thread.postMessage({ id, component, memoryPages, checkWorld: options.checkWorld, moduleCache: options.moduleCache } satisfies CompileRequest)
  })
}
