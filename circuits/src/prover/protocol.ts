// Messages between the prover pool and its child processes.
import type { Groth16Proof } from '@nexus/protocol/zk'

/** Deliberate misbehaviour of one prover, for testing fallback against real processes. */
export type ProverFault = 'crash' | 'hang' | 'error' | 'wrong-proof'

export type ProveJob = {
  type: 'prove'
  id: number
  wasmPath: string
  zkeyPath: string
  inputs: Record<string, unknown>
}

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'progress'; id: number; stage: 'witness' | 'prove'; message: string; fraction: number }
  | { type: 'done'; id: number; proof: Groth16Proof; publicSignals: string[]; witnessMs: number; proveMs: number; maxRssBytes: number }
  | { type: 'error'; id: number; kind: 'witness' | 'prove'; message: string }
