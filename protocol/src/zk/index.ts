// `@nexus/framework/zk`: Nexus Zero for authors and verifiers. Kept off the main entry point because
// verification loads snarkjs (GPL-3.0) on demand.
// The declaration side (also what the runtime guest gets): zk(...), input validation, BN254 constants.
export * from './guest.ts'
export {
  ZK_PROTOCOL,
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
  ZkInvalidProofError,
  ZkMalformedResultError,
  ZkOutputMismatchError,
  ZkProverError,
  ZkUnknownVerificationKeyError,
} from './errors.ts'
export { zkGuestModule } from './guest-path.ts'
