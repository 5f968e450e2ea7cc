// Errors of the zk path (Nexus Zero). Codes are stable: they appear in error results and HTTP bodies.
import { NexusError, type NexusErrorParameters } from '../errors/base.ts'

/** The request could not be mapped to valid circuit inputs, or the witness rejected them. */
export class ZkInputError extends NexusError {
  override name = 'ZkInputError'
  override code = 'NEXUS_ZK_INVALID_INPUT'
  /** One line per problem (`- signal: what is wrong`), kept so the error can cross the sandbox boundary intact. */
  readonly problems?: string[]
  constructor(shortMessage: string, parameters: NexusErrorParameters = {}) {
    super(shortMessage, { docsPath: 'docs/zk.md#inputs', ...parameters })
    this.problems = parameters.metaMessages
  }
}

/** A zk result does not have the documented shape (names the field). */
export class ZkMalformedResultError extends NexusError {
  override name = 'ZkMalformedResultError'
  override code = 'NEXUS_ZK_MALFORMED_RESULT'
}

/** No verification key is known for the result's `verificationKeyHash`, or it hashes differently. */
export class ZkUnknownVerificationKeyError extends NexusError {
  override name = 'ZkUnknownVerificationKeyError'
  override code = 'NEXUS_ZK_UNKNOWN_KEY'
}

/** The result is for a different circuit or key than the caller expected. */
export class ZkCircuitMismatchError extends NexusError {
  override name = 'ZkCircuitMismatchError'
  override code = 'NEXUS_ZK_CIRCUIT_MISMATCH'
}

/** The Groth16 pairing check failed: the proof does not prove these public signals. */
export class ZkInvalidProofError extends NexusError {
  override name = 'ZkInvalidProofError'
  override code = 'NEXUS_ZK_INVALID_PROOF'
}

/** `output` does not decode from the proven public signals. */
export class ZkOutputMismatchError extends NexusError {
  override name = 'ZkOutputMismatchError'
  override code = 'NEXUS_ZK_OUTPUT_MISMATCH'
}

/** Every prover failed, timed out or returned a proof that did not verify. */
export class ZkProverError extends NexusError {
  override name = 'ZkProverError'
  override code = 'NEXUS_ZK_PROVER_FAILED'
}

/** A circuit could not be compiled or set up (circom error, missing ptau, solc error). */
export class ZkBuildError extends NexusError {
  override name = 'ZkBuildError'
  override code = 'NEXUS_ZK_BUILD_FAILED'
}
