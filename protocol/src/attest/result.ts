// The JSON a gateway serves for an attested result (docs/protocol.md §5), and a strict parser
// that turns untrusted JSON into typed fields or a `MalformedResultError` naming the bad field.
// v2 results name their function (fields.functionId); v1 results, which do not, keep parsing.
import type { Address, Hex } from 'viem'
import { RESULT_PROTOCOL, RESULT_PROTOCOL_V2, functionIdHash, resultDigest, resultProtocol, type ResultFields, type ResultProtocol } from './digest.ts'
import { MalformedResultError } from './errors.ts'
import { isStatusCode } from '../status.ts'

/** Result fields as JSON: bigints as decimal strings. */
export type ResultFieldsJson = {
  chainId: string
  verifier: Address
  codeHash: Hex
  seq: string
  inputHash: Hex
  status: number
  outputHash: Hex
  stateRootBefore: Hex
  stateRootAfter: Hex
  fuelUsed: string
  /** v2 only (absent in v1 results), in the order the conformance vectors write them. */
  protocol?: ResultProtocol
  functionId?: string
  /** keccak256(utf8(functionId)): the bytes32 the digest and the Solidity struct hold. */
  functionIdHash?: Hex
}

export type BatchInclusion = { root: Hex; index: number; size: number; proof: Hex[] }

export type AttestedResult = {
  /** `nexus.result.v2` when `fields.functionId` is set, else `nexus.result.v1`. */
  protocol: ResultProtocol
  kind: 'bls'
  fields: ResultFieldsJson
  digest: Hex
  output: Hex
  /** Compressed G1 group signature over `digest`, or over `batch.root` when `batch` is present. */
  signature: Hex
  signers: number[]
  groupPublicKey: Hex
  batch?: BatchInclusion
}

export function fieldsToJson(fields: ResultFields): ResultFieldsJson {
  const json: ResultFieldsJson = {
    chainId: fields.chainId.toString(),
    verifier: fields.verifier,
    codeHash: fields.codeHash,
    seq: fields.seq.toString(),
    inputHash: fields.inputHash,
    status: fields.status,
    outputHash: fields.outputHash,
    stateRootBefore: fields.stateRootBefore,
    stateRootAfter: fields.stateRootAfter,
    fuelUsed: fields.fuelUsed.toString(),
  }
  if (fields.functionId !== undefined) {
    json.protocol = RESULT_PROTOCOL_V2
    json.functionId = fields.functionId
    json.functionIdHash = functionIdHash(fields.functionId)
  }
  return json
}

export type CreateAttestedResultParameters = {
  fields: ResultFields
  output: Hex
  signature: Hex
  signers: number[]
  groupPublicKey: Hex
  batch?: BatchInclusion
  /**
   * `resultDigest(fields)`, when the caller has already computed it from these very fields (the
   * gateway checks every replica's digest against its fields before it counts a share). Otherwise
   * the digest is computed here.
   */
  checkedDigest?: Hex
}

/** Assemble the served JSON shape (digest recomputed from the fields unless `checkedDigest` is given). */
export function createAttestedResult(p: CreateAttestedResultParameters): AttestedResult {
  const result: AttestedResult = {
    protocol: resultProtocol(p.fields),
    kind: 'bls',
    fields: fieldsToJson(p.fields),
    digest: (p.checkedDigest?.toLowerCase() as Hex | undefined) ?? resultDigest(p.fields),
    output: p.output,
    signature: p.signature,
    signers: [...p.signers],
    groupPublicKey: p.groupPublicKey,
  }
  if (p.batch) result.batch = { ...p.batch, proof: [...p.batch.proof] }
  return result
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const UINT64_MAX = (1n << 64n) - 1n
const UINT256_MAX = (1n << 256n) - 1n

function uint(value: unknown, field: string, max: bigint): bigint {
  let n: bigint
  if (typeof value === 'string' && /^(0|[1-9][0-9]*)$/.test(value)) n = BigInt(value)
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) n = BigInt(value)
  else throw new MalformedResultError(field, 'expected a non-negative integer as a decimal string')
  if (n > max) throw new MalformedResultError(field, `out of range (max ${max})`)
  return n
}

export function bytes32(value: unknown, field: string): Hex {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(value)) throw new MalformedResultError(field, 'expected 32 bytes of 0x-prefixed hex')
  return value.toLowerCase() as Hex
}

function hexBytes(value: unknown, field: string): Hex {
  if (typeof value !== 'string' || !/^0x(?:[0-9a-fA-F]{2})*$/.test(value)) throw new MalformedResultError(field, 'expected 0x-prefixed hex bytes')
  return value as Hex
}

function index(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new MalformedResultError(field, 'expected a non-negative integer')
  return value
}

// A lone surrogate would be encoded as U+FFFD, so two different strings would share one hash.
const loneSurrogate = /\p{Cs}/u

/**
 * The function id of v2 fields, undefined for v1. `protocol` in the fields is optional (the
 * replicas' wire omits it); when present it must agree with whether a function id is there, and
 * `functionIdHash`, when present, must be the hash of `functionId`.
 */
function parseFunctionId(value: Record<string, unknown>, prefix: string): string | undefined {
  const { protocol, functionId } = value
  if (protocol !== undefined && protocol !== RESULT_PROTOCOL && protocol !== RESULT_PROTOCOL_V2)
    throw new MalformedResultError(`${prefix}.protocol`, `expected "${RESULT_PROTOCOL}" or "${RESULT_PROTOCOL_V2}", got ${JSON.stringify(protocol)}`)
  if (functionId === undefined) {
    if (protocol === RESULT_PROTOCOL_V2) throw new MalformedResultError(`${prefix}.functionId`, `required by ${RESULT_PROTOCOL_V2}`)
    if (value.functionIdHash !== undefined) throw new MalformedResultError(`${prefix}.functionIdHash`, 'given without functionId')
    return undefined
  }
  if (protocol === RESULT_PROTOCOL) throw new MalformedResultError(`${prefix}.functionId`, `a ${RESULT_PROTOCOL} result has no function id`)
  if (typeof functionId !== 'string' || functionId.length === 0 || loneSurrogate.test(functionId))
    throw new MalformedResultError(`${prefix}.functionId`, 'expected a non-empty string of well-formed Unicode')
  if (value.functionIdHash !== undefined && bytes32(value.functionIdHash, `${prefix}.functionIdHash`) !== functionIdHash(functionId))
    throw new MalformedResultError(`${prefix}.functionIdHash`, 'is not keccak256(utf8(functionId))')
  return functionId
}

/**
 * Parse and range-check the digest fields (JSON numbers accepted when they are safe integers).
 * With `functionId` the fields are v2 (the returned object carries it), without it v1.
 */
export function parseResultFields(value: unknown, prefix = 'fields'): ResultFields {
  if (!isObject(value)) throw new MalformedResultError(prefix, 'expected an object')
  const { status } = value
  if (!isStatusCode(status)) throw new MalformedResultError(`${prefix}.status`, 'expected 0, 1, 2 or 3')
  if (typeof value.verifier !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value.verifier))
    throw new MalformedResultError(`${prefix}.verifier`, 'expected a 20-byte hex address')
  const functionId = parseFunctionId(value, prefix)
  return {
    chainId: uint(value.chainId, `${prefix}.chainId`, UINT256_MAX),
    verifier: value.verifier as Address,
    ...(functionId === undefined ? {} : { functionId }),
    codeHash: bytes32(value.codeHash, `${prefix}.codeHash`),
    seq: uint(value.seq, `${prefix}.seq`, UINT64_MAX),
    inputHash: bytes32(value.inputHash, `${prefix}.inputHash`),
    status,
    outputHash: bytes32(value.outputHash, `${prefix}.outputHash`),
    stateRootBefore: bytes32(value.stateRootBefore, `${prefix}.stateRootBefore`),
    stateRootAfter: bytes32(value.stateRootAfter, `${prefix}.stateRootAfter`),
    fuelUsed: uint(value.fuelUsed, `${prefix}.fuelUsed`, UINT64_MAX),
  }
}

export type ParsedResult = {
  fields: ResultFields
  digest: Hex
  output: Hex
  signature: string
  signers: number[]
  groupPublicKey: string
  batch?: BatchInclusion
}

/** Validate an untrusted `kind: 'bls'` result. Points are only checked for being strings here; decoding is the verifier's job. */
export function parseAttestedResult(value: unknown): ParsedResult {
  if (!isObject(value)) throw new MalformedResultError('result', 'expected a JSON object')
  if (value.protocol !== RESULT_PROTOCOL && value.protocol !== RESULT_PROTOCOL_V2)
    throw new MalformedResultError('protocol', `expected "${RESULT_PROTOCOL}" or "${RESULT_PROTOCOL_V2}", got ${JSON.stringify(value.protocol)}`)
  if (value.kind !== 'bls') throw new MalformedResultError('kind', `expected "bls", got ${JSON.stringify(value.kind)}`)
  const fields = parseResultFields(value.fields)
  // A v2 result relabelled v1 (or the reverse) is refused here, before any digest is computed.
  if (resultProtocol(fields) !== value.protocol)
    throw new MalformedResultError(
      'protocol',
      `${JSON.stringify(value.protocol)} does not match the fields (${fields.functionId === undefined ? 'no function id' : 'a function id'})`,
    )
  if (typeof value.signature !== 'string') throw new MalformedResultError('signature', 'expected a hex string')
  if (typeof value.groupPublicKey !== 'string') throw new MalformedResultError('groupPublicKey', 'expected a hex string')
  if (!Array.isArray(value.signers)) throw new MalformedResultError('signers', 'expected an array of replica indices')
  const parsed: ParsedResult = {
    fields,
    digest: bytes32(value.digest, 'digest'),
    output: hexBytes(value.output, 'output'),
    signature: value.signature,
    signers: value.signers.map((s, i) => index(s, `signers[${i}]`)),
    groupPublicKey: value.groupPublicKey,
  }
  if (value.batch !== undefined) {
    const b = value.batch
    if (!isObject(b) || !Array.isArray(b.proof)) throw new MalformedResultError('batch', 'expected { root, index, size, proof[] }')
    parsed.batch = {
      root: bytes32(b.root, 'batch.root'),
      index: index(b.index, 'batch.index'),
      size: index(b.size, 'batch.size'),
      proof: b.proof.map((p, i) => bytes32(p, `batch.proof[${i}]`)),
    }
  }
  return parsed
}
