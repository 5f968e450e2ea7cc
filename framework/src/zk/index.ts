// `@nexus/framework/zk`: Nexus Zero for authors and verifiers. Kept off the main entry point because
// verification loads snarkjs (GPL-3.0) on demand.
export { zk, isZkFunction, type ZkConfig, type ZkFunction, type DefaultZkOutput } from './declare.ts'
export {
  validateCircuitInputs,
  type CircuitInputs,
  type CircuitValue,
  type SignalSpec,
  type SignalSpecs,
  type SignalType,
} from './inputs.ts'
export {
  ZK_PROTOCOL,
  BN254_R,
  BN254_Q,
  computeVerificationKeyHash,
  computeZkDigest,
  type Groth16Proof,
  type Groth16VerificationKey,
  type ZkResult,
  type ZkErrorResult,
} from './result.ts'
export { verifyZkResult, verifyGroth16, parseZkResult, type VerifyZkOptions, type VerifyZkReturnType } from './verify.ts'
export { registerVerificationKey, findVerificationKey, defaultKeyDir } from './keys.ts'
export {
  ZkBuildError,
  ZkCircuitMismatchError,
  ZkInputError,
  ZkInvalidProofError,
  ZkMalformedResultError,
  ZkOutputMismatchError,
  ZkProverError,
  ZkUnknownVerificationKeyError,
} from './errors.ts'
