// @nexus/framework/attest — threshold BLS attestation of results (protocols v1 and v2, docs/protocol.md).
export {
  RESULT_DOMAIN,
  RESULT_DOMAIN_V2,
  RESULT_PROTOCOL,
  RESULT_PROTOCOL_V2,
  encodeResultFields,
  functionIdHash,
  resultDigest,
  resultProtocol,
  type ResultFields,
  type ResultProtocol,
} from './digest.ts'
export {
  CURVE_ORDER,
  NEXUS_DST,
  decodeG1,
  decodeG1OnCurve,
  decodeG2,
  encodeG1,
  encodeG2,
  g1ToEip2537,
  g2ToEip2537,
  hashToG1,
  hashToG1Eip2537,
  pairingCheck,
  type G1Point,
  type G2Point,
} from './points.ts'
export {
  MAX_REPLICAS,
  deriveSharePublicKey,
  networkFromCommitments,
  parseNetwork,
  type Network,
} from './network.ts'
export {
  commitPolynomial,
  dealerKeygen,
  evalPolynomial,
  sharePublicKey,
  verifyShareAgainstCommitments,
  type DealerKeygenParameters,
  type DealerKeygenReturnType,
  type ShareKey,
} from './keys.ts'
export {
  createDkgParticipant,
  judgeDkg,
  runDkg,
  type DkgAnswer,
  type DkgComplaint,
  type DkgDeal,
  type DkgFault,
  type DkgParticipant,
  type DkgPrivateShare,
  type DkgVerdict,
  type RunDkgParameters,
  type RunDkgReturnType,
} from './dkg.ts'
export { createShareSigner, signHashed, signShare, verifyShare, verifySignature, type ShareSigner, type SignatureShare } from './sign.ts'
export { combineShares, combineSharesUnverified, interpolate, lagrangeCoefficients, type CombineSharesReturnType } from './combine.ts'
export { findInvalidSignatures, type SignatureToCheck } from './verify-batch.ts'
export { merkleLeaf, merkleProof, merkleRoot, merkleRootFromProof, merkleTree, verifyMerkleProof } from './batch.ts'
export {
  createAttestedResult,
  fieldsToJson,
  parseAttestedResult,
  parseResultFields,
  type AttestedResult,
  type BatchInclusion,
  type CreateAttestedResultParameters,
  type ParsedResult,
  type ResultFieldsJson,
} from './result.ts'
export {
  verifyAttestation,
  verifyResult,
  type AttestationInput,
  type VerifyAttestationOptions,
  type VerifyResultOptions,
  type VerifyResultReturnType,
} from './verify.ts'
export {
  BadBatchProofError,
  BadShareError,
  BadSignatureError,
  DigestMismatchError,
  DkgError,
  FieldMismatchError,
  KeygenError,
  MalformedPointError,
  MalformedResultError,
  OutputMismatchError,
  PointNotInSubgroupError,
  TooFewSignersError,
  WrongKeyError,
  ZkVerifierUnavailableError,
} from './errors.ts'
// Used by the gateway's scheduler: with the curve's test, remembers a point found in the subgroup.
export { assertInSubgroup } from './points.ts'
export { loadShareSigner, loadWasmCurve, upgradableShareSigner, type WasmCurve } from './wasm-loader.ts'
