// Runs the compile step (compile-files.ts: jco + binaryen) in a child process that ends once it has
// been idle for a moment. binaryen alone kept ≈ 700 MB of resident memory in every process that
// ever compiled (each replica, the dev process for the deploy check), for the process's lifetime;
// a child's memory goes when the child does. A burst of deploys shares one child.
//
// A process rather than a worker thread for its V8 flags, which are per process: jco's and
// binaryen's own WebAssembly (tens of MB) runs once or twice per compile, and V8 spent more CPU on
// its background optimising compiles than the compile itself took. With `--liftoff-only` (baseline
// code only) a deploy's check of the token example took 1.3 s of wall time and 1.5 s of CPU instead
// of 2.1 s and 3.7 s (docs/runtime.md, "The compile process").
import { fork, type ChildProcess } from 'node:child_process'
import { bundleWorker } from '../sandbox/worker-bundle.ts'
import { InvalidArtifactError } from './errors.ts'
import type { CompileRequest, CompileResponse } from './compile-worker.ts'

/** How long an idle compile process stays for the next compile before it ends (and frees its memory). */
const IDLE_MS = 2_000

/** The compile process's V8 flags: the parent's WebAssembly feature flags, and baseline code only (above). */
const childExecArgv = () => [...process.execArgv.filter((a) => a.startsWith('--experimental-wasm')), '--liftoff-only']

type Pending = { resolve: (files: Record<string, Uint8Array>) => void; reject: (err: Error) => void }
type Child = { proc: ChildProcess; pending: Map<number, Pending> }
let child: Child | undefined
let idleTimer: NodeJS.Timeout | undefined
let nextId = 1

/** The compile process's entry, bundled (compile-worker.ts). */
export const compileWorkerBundlePath = () => bundleWorker(new URL('./compile-worker', import.meta.url))

/** An idle child must not keep this process alive; a busy one must, until it answers. */
function hold(current: Child, busy: boolean) {
  if (busy) {
    current.proc.ref()
    current.proc.channel?.ref()
  } else {
    current.proc.unref()
    current.proc.channel?.unref()
  }
}

async function spawn(): Promise<Child> {
  const proc = fork(await compileWorkerBundlePath(), [], {
    execArgv: childExecArgv(),
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const current: Child = { proc, pending: new Map() }
  const fail = (err: Error) => {
    if (child === current) child = undefined
    for (const p of current.pending.values()) p.reject(err)
    current.pending.clear()
  }
  proc.on('message', (response: CompileResponse) => {
    const p = current.pending.get(response.id)
    if (!p) return
    current.pending.delete(response.id)
    if (response.files) p.resolve(response.files)
    else if (response.refused) p.reject(new InvalidArtifactError(response.refused, { details: response.cause }))
    else p.reject(new Error(`the compile process failed: ${response.error}`))
    if (current.pending.size === 0) scheduleEnd(current)
  })
  proc.on('error', fail)
  proc.on('exit', (code, signal) => fail(new Error(`the compile process exited (${signal ?? `code ${code}`})`)))
  return current
}

function scheduleEnd(current: Child) {
  hold(current, false)
  clearTimeout(idleTimer)
  idleTimer = setTimeout(() => {
    if (child !== current || current.pending.size > 0) return
    child = undefined
    // The child exits when its channel closes (compile-worker.ts).
    current.proc.disconnect()
  }, IDLE_MS)
  idleTimer.unref()
}

let spawning: Promise<Child> | undefined

/**
 * The compiled files of `component` (jco glue + metered core modules), compiled in the shared
 * compile process. InvalidArtifactError when the component cannot be compiled.
 */
export async function compileFiles(
  component: Uint8Array,
  memoryPages: number,
  options: { checkWorld?: string; moduleCache?: string } = {},
): Promise<Record<string, Uint8Array>> {
  if (!child) {
    spawning ??= spawn().finally(() => (spawning = undefined))
    child = await spawning
  }
  const current = child
  clearTimeout(idleTimer)
  hold(current, true)
  const id = nextId++
  return new Promise((resolve, reject) => {
    current.pending.set(id, { resolve, reject })
    current.proc.send({ id, component, memoryPages, checkWorld: options.checkWorld, moduleCache: options.moduleCache } satisfies CompileRequest)
  })
}
