// Attestation errors. Each failure a verifier can report has its own class and stable code, so
// the CLI, the gateway's HTTP errors and tests can tell "wrong key" from "bad signature".
import { NexusError, type NexusErrorParameters } from '../errors/base.ts'

/** A result, share, key file or network file does not have the documented shape. */
export class MalformedResultError extends NexusError {
  override name = 'MalformedResultError'
  override code = 'NEXUS_ATTEST_MALFORMED_RESULT'
  readonly field: string
  constructor(field: string, problem: string, parameters: NexusErrorParameters = {}) {
    super(`malformed ${field}: ${problem}`, { docsPath: 'docs/protocol.md#5-result-json-what-the-gateway-serves', ...parameters })
    this.field = field
  }
}

/** A point (signature or key) cannot be decoded: wrong length, bad flags, infinity, not on the curve. */
export class MalformedPointError extends NexusError {
  override name = 'MalformedPointError'
  override code = 'NEXUS_ATTEST_MALFORMED_POINT'
  constructor(what: string, problem: string, parameters: NexusErrorParameters = {}) {
    super(`malformed point (${what}): ${problem}`, { docsPath: 'docs/protocol.md#2-signatures-bls12-381-min-sig', ...parameters })
  }
}

/** A point is on the curve but outside the prime-order subgroup (small-subgroup attack). */
export class PointNotInSubgroupError extends NexusError {
  override name = 'PointNotInSubgroupError'
  override code = 'NEXUS_ATTEST_NOT_IN_SUBGROUP'
  constructor(what: string, parameters: NexusErrorParameters = {}) {
    super(`${what} is not in the prime-order subgroup`, { docsPath: 'docs/protocol.md#2-signatures-bls12-381-min-sig', ...parameters })
  }
}

/** keccak256(output) is not the signed outputHash. */
export class OutputMismatchError extends NexusError {
  override name = 'OutputMismatchError'
  override code = 'NEXUS_ATTEST_OUTPUT_MISMATCH'
  constructor(expected: string, actual: string) {
    super('output does not match fields.outputHash', { metaMessages: [`fields.outputHash: ${expected}`, `keccak256(output): ${actual}`] })
  }
}

/** The digest carried by a result is not the digest of its fields (a field was changed). */
export class DigestMismatchError extends NexusError {
  override name = 'DigestMismatchError'
  override code = 'NEXUS_ATTEST_DIGEST_MISMATCH'
  constructor(expected: string, actual: string) {
    super('digest does not match the result fields (a digest field was changed)', {
      metaMessages: [`digest in result: ${actual}`, `digest of fields: ${expected}`],
    })
  }
}

/** A field the network pins (chainId, verifier), or the caller expects (functionId), differs from the result's. */
export class FieldMismatchError extends NexusError {
  override name = 'FieldMismatchError'
  override code = 'NEXUS_ATTEST_FIELD_MISMATCH'
  readonly field: string
  constructor(field: string, expected: string, actual: string, pinnedBy: 'network' | 'caller' = 'network') {
    super(`wrong ${field}: ${pinnedBy} expects ${expected}, result has ${actual}`)
    this.field = field
  }
}

/** The result names a group key other than the network's. */
export class WrongKeyError extends NexusError {
  override name = 'WrongKeyError'
  override code = 'NEXUS_ATTEST_WRONG_KEY'
  constructor(expected: string, actual: string) {
    super('result is signed for another group public key', { metaMessages: [`network: ${expected}`, `result:  ${actual}`] })
  }
}

/** Fewer than t signers (claimed in a result) or fewer than t valid shares (when combining). */
export class TooFewSignersError extends NexusError {
  override name = 'TooFewSignersError'
  override code = 'NEXUS_ATTEST_TOO_FEW_SIGNERS'
  readonly rejected: { index: number; reason: string }[]
  constructor(have: number, t: number, rejected: { index: number; reason: string }[] = []) {
    super(`too few signers: ${have} valid, threshold is ${t}`, {
      metaMessages: rejected.map((r) => `replica ${r.index}: ${r.reason}`),
    })
    this.rejected = rejected
  }
}

/** The batch inclusion proof does not lead from the digest to the signed root. */
export class BadBatchProofError extends NexusError {
  override name = 'BadBatchProofError'
  override code = 'NEXUS_ATTEST_BAD_BATCH_PROOF'
  constructor(problem: string) {
    super(`invalid batch inclusion proof: ${problem}`, { docsPath: 'docs/protocol.md#4-batched-attestation-merkle-tree' })
  }
}

/** The pairing check fails: the signature is not the group's signature over this message. */
export class BadSignatureError extends NexusError {
  override name = 'BadSignatureError'
  override code = 'NEXUS_ATTEST_BAD_SIGNATURE'
  constructor(message: string) {
    super(`signature does not verify against the group public key for message ${message}`)
  }
}

/** A signature share does not verify against its replica's share public key. */
export class BadShareError extends NexusError {
  override name = 'BadShareError'
  override code = 'NEXUS_ATTEST_BAD_SHARE'
  readonly index: number
  constructor(index: number, problem: string) {
    super(`share of replica ${index} rejected: ${problem}`)
    this.index = index
  }
}

/** Key generation or a network file is inconsistent (t > n, share keys not matching commitments, ...). */
export class KeygenError extends NexusError {
  override name = 'KeygenError'
  override code = 'NEXUS_ATTEST_KEYGEN'
}

/** The DKG cannot finish (fewer than t qualified dealers). */
export class DkgError extends NexusError {
  override name = 'DkgError'
  override code = 'NEXUS_ATTEST_DKG'
}

/** A zk result was given but the optional zk verifier module is not available. */
export class ZkVerifierUnavailableError extends NexusError {
  override name = 'ZkVerifierUnavailableError'
  override code = 'NEXUS_ATTEST_ZK_UNAVAILABLE'
  constructor(parameters: NexusErrorParameters = {}) {
    super('cannot verify a zk result: the zk verifier (protocol/src/zk/verify.ts, needs snarkjs) is not available', parameters)
  }
}
