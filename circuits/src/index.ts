// `@nexus/circuits`: build Circom circuits (cached by content), prove in a pool of processes, export
// and compile on-chain verifiers. GPL-3.0 dependencies (snarkjs, circom2, circomlib) live here.
export { buildCircuit, type BuildCircuitParameters, type BuiltCircuit } from './build/build-circuit.ts'
export { computeSourceHash, collectSources } from './build/source-hash.ts'
export { circomVersion, compileCircom } from './build/compile.ts'
export { resolvePtau, generatePtau, readPtauHeader, requiredPower, type ResolvedPtau } from './build/ptau.ts'
export { printProgress, type BuildProgress, type OnBuildProgress } from './build/logger.ts'
export { builtinCircuits, type BuiltinCircuitId, type CircuitDefinition } from './registry.ts'
export {
  createProverPool,
  type ProverPool,
  type ProverPoolOptions,
  type ProveParameters,
  type ProveReturnType,
  type ProverProgress,
  type ProverAttempt,
} from './prover/pool.ts'
export type { ProverFault } from './prover/protocol.ts'
export { createZkExecutor, isZkErrorResult, type ZkExecutor, type CreateZkExecutorParameters } from './invoke.ts'
export { createZkHttpHandler } from './http.ts'
export {
  buildGroth16Verifier,
  compileGroth16Verifier,
  exportGroth16Verifier,
  toSolidityProofArgs,
  encodeForInbox,
  toZkFulfilArgs,
  type CompiledVerifier,
  type SolidityProofArgs,
} from './solidity.ts'
export { defaultCacheDir, defaultPtauDir } from './paths.ts'

/** Stop snarkjs's shared curve worker threads so a CLI or benchmark process can exit. */
export async function releaseCurves(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate?: () => Promise<void> } | null }
  await g.curve_bn128?.terminate?.()
  g.curve_bn128 = null
}
