// Starting a Nexus child process and waiting until it says it is up: every process command prints
// one JSON line on stdout when ready (`{"event":"listening","port":…}`, `{"event":"ready",…}`);
// anything else it prints is a log line. Used for replicas of the dev stack and the cluster's
// gateways and replicas alike.
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

export type SpawnedProcess = {
  child: ChildProcess
  /** The event line that said the child is up. */
  ready: Record<string, unknown>
  /** Resolves with the exit code (null after a signal) once the child is gone. */
  exited: Promise<number | null>
  /** SIGTERM and wait for exit (the clean stop). */
  stop(): Promise<void>
  /** SIGKILL and wait for exit (a crash). */
  kill(): Promise<void>
}

export type SpawnUntilEventParameters = {
  /** How errors and logs name the child, e.g. "replica 2". */
  label: string
  args: string[]
  /** The `event` of the line that means up. */
  event: string
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** An IPC channel the child treats as its lifeline (`nexus replica` stops when it closes), in its own process group. */
  lifeline?: boolean
  /** Where the child's stderr and non-event stdout lines go. */
  onLog?: (line: string) => void
  /** Default: NEXUS_PROCESS_START_TIMEOUT_MS, else 240 s (a loaded machine's first start compiles). */
  timeoutMs?: number
}

/** Spawn `process.execPath args` and resolve once it prints `{"event": event, …}`; reject (child killed) if it exits or times out first. */
export async function spawnUntilEvent(p: SpawnUntilEventParameters): Promise<SpawnedProcess> {
  const stdio: ('ignore' | 'pipe' | 'ipc')[] = ['ignore', 'pipe', 'pipe', ...(p.lifeline ? (['ipc'] as const) : [])]
  const child = spawn(process.execPath, p.args, { cwd: p.cwd, env: p.env, stdio, detached: p.lifeline ?? false })
  // The last lines it printed go into the error when it fails to come up (a bad flag, a refused login).
  const tail: string[] = []
  const log = (line: string) => {
    tail.push(line)
    if (tail.length > 20) tail.shift()
    p.onLog?.(line)
  }
  const said = () => (tail.length ? `:\n${tail.join('\n')}` : '')
  createInterface({ input: child.stderr! }).on('line', log)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const limit = p.timeoutMs ?? Number(process.env.NEXUS_PROCESS_START_TIMEOUT_MS ?? process.env.NEXUS_REPLICA_START_TIMEOUT_MS ?? 240_000)
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${p.label} did not start within ${limit / 1000} s${said()}`))
    }, limit)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${p.label} exited with ${code} before it was up${said()}`))
    })
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as Record<string, unknown>
        if (msg.event === p.event) {
          clearTimeout(timer)
          resolve(msg)
          return
        }
      } catch {}
      log(line)
    })
  })
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig)
    await exited
  }
  return { child, ready, exited, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') }
}
