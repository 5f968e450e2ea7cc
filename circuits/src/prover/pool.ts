// A pool of prover processes. Each proof goes to one prover; if it crashes, times out, errors or
// returns a proof that does not verify, the job moves to the next prover. A proof is verified here,
// in the caller's process, before it is returned: a wrong proof is never served.
import { fork, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { verifyGroth16, ZkInputError, ZkProverError, type CircuitInputs, type Groth16Proof, type Groth16VerificationKey } from '@nexus/protocol/zk'
import type { ChildMessage, ProveJob, ProverFault } from './protocol.ts'

// The prover child: child.ts through tsx in the repo, plain child.js in the published dist/ (which
// does not depend on tsx).
const fromSource = import.meta.url.endsWith('.ts')
const childPath = fileURLToPath(new URL(fromSource ? './child.ts' : './child.js', import.meta.url))
const childExecArgv = fromSource ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : []

export type ProverProgress = {
  circuitId: string
  prover: number
  attempt: number
  stage: 'witness' | 'prove' | 'verify'
  message: string
  /** Rough completed fraction of this attempt, 0..1. */
  fraction: number
  elapsedMs: number
}

export type ProverPoolOptions = {
  /** Number of prover processes. Default 2. */
  size?: number
  /** Per-attempt limit; the prover is killed and the job moves on. Default 120 s. */
  timeoutMs?: number
  /** Prove with one thread per process (default when size > 1) instead of snarkjs's worker threads. */
  singleThread?: boolean
  /** Test aid: make prover `i` misbehave (`crash`, `hang`, `error`, `wrong-proof`). */
  faults?: (ProverFault | undefined)[]
}

export type ProveParameters = {
  circuit: { id: string; wasmPath: string; zkeyPath: string; verificationKey: Groth16VerificationKey }
  inputs: CircuitInputs
  timeoutMs?: number
  onProgress?: (event: ProverProgress) => void
}

export type ProverAttempt = { prover: number; ok: boolean; error?: string; durationMs: number }

export type ProveReturnType = {
  proof: Groth16Proof
  publicSignals: string[]
  prover: number
  attempts: ProverAttempt[]
  witnessMs: number
  proveMs: number
  verifyMs: number
  /** Peak resident memory of the prover process that made the proof. */
  peakRssBytes: number
}

export type ProverPool = {
  size: number
  prove(parameters: ProveParameters): Promise<ProveReturnType>
  /** Start every prover now (otherwise they start on first use). */
  warm(): Promise<void>
  close(): Promise<void>
}

type Slot = {
  index: number
  child?: ChildProcess
  ready?: Promise<ChildProcess>
  busy: boolean
}

class WitnessError extends Error {}

/** Create a prover pool. Call `close()` when done: provers are child processes. */
export function createProverPool(options: ProverPoolOptions = {}): ProverPool {
  const size = options.size ?? 2
  const timeoutMs = options.timeoutMs ?? 120_000
  const singleThread = options.singleThread ?? size > 1
  const slots: Slot[] = Array.from({ length: size }, (_, index) => ({ index, busy: false }))
  const waiters = new Set<() => void>()
  let nextJob = 1
  let next = 0
  let closed = false

  function spawn(slot: Slot): Promise<ChildProcess> {
    if (slot.ready) return slot.ready
    const child = fork(childPath, [], {
      execArgv: childExecArgv,
      env: {
        ...process.env,
        NEXUS_PROVER_SINGLE_THREAD: singleThread ? '1' : '0',
        NEXUS_PROVER_FAULT: options.faults?.[slot.index] ?? '',
      },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    slot.child = child
    const forget = () => {
      if (slot.child === child) {
        slot.child = undefined
        slot.ready = undefined
      }
    }
    child.once('exit', forget)
    slot.ready = new Promise<ChildProcess>((resolve, reject) => {
      const onMessage = (m: ChildMessage) => {
        if (m.type !== 'ready') return
        child.off('message', onMessage)
        child.off('exit', onExit)
        resolve(child)
      }
      const onExit = (code: number | null) => reject(new Error(`prover ${slot.index} exited during start (code ${code})`))
      child.on('message', onMessage)
      child.once('exit', onExit)
      child.once('error', reject)
    })
    return slot.ready
  }

  function kill(slot: Slot) {
    slot.child?.kill('SIGKILL')
    slot.child = undefined
    slot.ready = undefined
  }

  /** An idle prover not yet tried for this job, waiting if all such provers are busy. */
  async function acquire(exclude: Set<number>): Promise<Slot | undefined> {
    for (;;) {
      if (closed) return undefined
      const candidates = slots.filter((s) => !exclude.has(s.index))
      if (candidates.length === 0) return undefined
      // Round-robin start point so load spreads over provers.
      const ordered = [...candidates.slice(next % candidates.length), ...candidates.slice(0, next % candidates.length)]
      const idle = ordered.find((s) => !s.busy)
      if (idle) {
        next++
        idle.busy = true
        return idle
      }
      await new Promise<void>((resolve) => waiters.add(resolve))
    }
  }

  function release(slot: Slot) {
    slot.busy = false
    const pending = [...waiters]
    waiters.clear()
    for (const w of pending) w()
  }

  function runOn(slot: Slot, p: ProveParameters, attempt: number, limitMs: number) {
    type Done = Extract<ChildMessage, { type: 'done' }>
    return new Promise<Done>((resolve, reject) => {
      const started = performance.now()
      const id = nextJob++
      let child: ChildProcess | undefined
      // The limit covers the proof, not the prover's start-up (loading snarkjs takes seconds on a
      // loaded machine); start-up has its own generous bound.
      let timer: ReturnType<typeof setTimeout> | undefined
      const arm = (ms: number, what: string) => {
        clearTimeout(timer)
        timer = setTimeout(() => {
          kill(slot)
          finish(new Error(`prover ${slot.index} ${what} after ${ms} ms`))
        }, ms)
      }
      arm(Math.max(limitMs, 120_000), 'did not start')
      const onMessage = (m: ChildMessage) => {
        if (m.type === 'ready' || m.id !== id) return
        if (m.type === 'progress') {
          p.onProgress?.({
            circuitId: p.circuit.id,
            prover: slot.index,
            attempt,
            stage: m.stage,
            message: m.message,
            fraction: m.fraction,
            elapsedMs: performance.now() - started,
          })
        } else if (m.type === 'done') finish(undefined, m)
        else finish(m.kind === 'witness' ? new WitnessError(m.message) : new Error(`prover ${slot.index}: ${m.message}`))
      }
      const onExit = (code: number | null, signal: string | null) =>
        finish(new Error(`prover ${slot.index} exited (${signal ?? `code ${code}`}) during the proof`))
      function finish(err?: Error, done?: Done) {
        clearTimeout(timer)
        child?.off('message', onMessage)
        child?.off('exit', onExit)
        if (err) reject(err)
        else resolve(done!)
      }
      spawn(slot).then(
        (c) => {
          child = c
          arm(limitMs, 'timed out')
          c.on('message', onMessage)
          c.once('exit', onExit)
          const job: ProveJob = { type: 'prove', id, wasmPath: p.circuit.wasmPath, zkeyPath: p.circuit.zkeyPath, inputs: p.inputs }
          c.send(job)
        },
        (err: Error) => finish(err),
      )
    })
  }

  async function prove(p: ProveParameters): Promise<ProveReturnType> {
    if (closed) throw new ZkProverError('The prover pool is closed.')
    const tried = new Set<number>()
    const attempts: ProverAttempt[] = []
    for (let attempt = 1; ; attempt++) {
      const slot = await acquire(tried)
      if (!slot) break
      tried.add(slot.index)
      const started = performance.now()
      try {
        const done = await runOn(slot, p, attempt, p.timeoutMs ?? timeoutMs)
        const v0 = performance.now()
        p.onProgress?.({
          circuitId: p.circuit.id,
          prover: slot.index,
          attempt,
          stage: 'verify',
          message: 'verifying proof',
          fraction: 1,
          elapsedMs: v0 - started,
        })
        const ok = await verifyGroth16(p.circuit.verificationKey, done.publicSignals, done.proof).catch(() => false)
        const verifyMs = performance.now() - v0
        if (!ok) {
          attempts.push({ prover: slot.index, ok: false, error: 'returned a proof that does not verify', durationMs: performance.now() - started })
          continue
        }
        attempts.push({ prover: slot.index, ok: true, durationMs: performance.now() - started })
        return {
          proof: done.proof,
          publicSignals: done.publicSignals,
          prover: slot.index,
          attempts,
          witnessMs: done.witnessMs,
          proveMs: done.proveMs,
          verifyMs,
          peakRssBytes: done.maxRssBytes,
        }
      } catch (err) {
        // Witness failures are deterministic (the inputs violate a constraint): no other prover would do better.
        if (err instanceof WitnessError) {
          throw new ZkInputError(`The inputs do not satisfy circuit "${p.circuit.id}".`, {
            details: err.message.split('\n')[0],
          })
        }
        attempts.push({ prover: slot.index, ok: false, error: (err as Error).message, durationMs: performance.now() - started })
      } finally {
        release(slot)
      }
    }
    throw new ZkProverError(`No prover produced a valid proof for circuit "${p.circuit.id}".`, {
      metaMessages: attempts.map((a) => `- prover ${a.prover}: ${a.error ?? 'ok'} (${a.durationMs.toFixed(0)} ms)`),
    })
  }

  return {
    size,
    prove,
    async warm() {
      await Promise.all(slots.map((s) => spawn(s)))
    },
    async close() {
      closed = true
      for (const w of waiters) w()
      waiters.clear()
      await Promise.all(
        slots.map(async (s) => {
          const c = s.child
          if (!c || c.exitCode !== null || c.signalCode !== null) return
          const exited = new Promise<void>((r) => c.once('exit', () => r()))
          c.kill('SIGTERM')
          kill(s)
          await exited
        }),
      )
    },
  }
}
