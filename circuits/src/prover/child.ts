// One prover process: computes the witness and the Groth16 proof for jobs sent by the pool, one at a
// time, and reports progress. Started with `child_process.fork`; never trusted: the pool verifies.
import type { ChildMessage, ProveJob, ProverFault } from './protocol.ts'

const snarkjs = await import('snarkjs')
if (process.env.NEXUS_PROVER_SINGLE_THREAD === '1') {
  // One core per prover: N provers prove N proofs in parallel without oversubscribing the machine.
  ;(globalThis as { curve_bn128?: unknown }).curve_bn128 = await snarkjs.curves.getCurveFromName('bn128', { singleThread: true })
}
const fault = process.env.NEXUS_PROVER_FAULT as ProverFault | undefined

// snarkjs's prover logs these steps in this order; their index gives a rough completed fraction.
const steps = [
  'Reading Wtns',
  'Reading Coeffs',
  'Building ABC',
  'Join ABC',
  'Reading A Points',
  'Reading B1 Points',
  'Reading B2 Points',
  'Reading C Points',
  'Reading H Points',
]

const send = (m: ChildMessage) => process.send?.(m)

async function prove(job: ProveJob): Promise<void> {
  if (fault === 'crash') process.exit(70)
  if (fault === 'hang') return new Promise(() => {})
  if (fault === 'error') throw Object.assign(new Error('injected prover failure'), { kind: 'prove' })
  const started = performance.now()
  send({ type: 'progress', id: job.id, stage: 'witness', message: 'computing witness', fraction: 0 })
  const wtns: { type: 'mem'; data?: Uint8Array } = { type: 'mem' }
  try {
    await snarkjs.wtns.calculate(job.inputs, job.wasmPath, wtns)
  } catch (err) {
    throw Object.assign(err instanceof Error ? err : new Error(String(err)), { kind: 'witness' })
  }
  const witnessMs = performance.now() - started
  let last = 0
  const logger = {
    debug(message: string) {
      const i = steps.findIndex((s) => message.startsWith(s))
      if (i >= 0) last = (i + 1) / (steps.length + 1)
      send({ type: 'progress', id: job.id, stage: 'prove', message, fraction: last })
    },
    info() {},
    warn() {},
    error() {},
  }
  const { proof, publicSignals } = await snarkjs.groth16.prove(job.zkeyPath, wtns, logger)
  const signals = publicSignals.map(String)
  if (fault === 'wrong-proof') {
    // A well-formed but false proof: the pool must refuse to serve it.
    proof.pi_a = [...proof.pi_c]
  }
  send({
    type: 'done',
    id: job.id,
    proof,
    publicSignals: signals,
    witnessMs,
    proveMs: performance.now() - started - witnessMs,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  })
}

process.on('message', (job: ProveJob) => {
  if (job?.type !== 'prove') return
  prove(job).catch((err: unknown) => {
    const e = err as { kind?: 'witness' | 'prove'; message?: string }
    send({ type: 'error', id: job.id, kind: e?.kind ?? 'prove', message: e?.message ?? String(err) })
  })
})
// Exit with the pool instead of lingering when it goes away without closing us.
process.on('disconnect', () => process.exit(0))
send({ type: 'ready' })
