// Verifier side: check an attested result end to end (docs/protocol.md §6 gives the order of the
// checks). Every failure is a typed NexusError with a stable code; nothing unsigned is trusted.
import type { Hex } from 'viem'
import { keccak256 } from '../hash/keccak.ts'
import { NexusError, toError } from '../errors/base.ts'
import { type ResultFields, resultDigest } from './digest.ts'
import {
  BadBatchProofError,
  BadSignatureError,
  DigestMismatchError,
  FieldMismatchError,
  MalformedResultError,
  OutputMismatchError,
  TooFewSignersError,
  WrongKeyError,
  ZkVerifierUnavailableError,
} from './errors.ts'
import { merkleRootFromProof } from './batch.ts'
import { decodeNetwork, type Network } from './network.ts'
import { decodeG1, hashToG1, pairingCheck } from './points.ts'
import { type BatchInclusion, parseAttestedResult } from './result.ts'

export type AttestationInput = {
  fields: ResultFields
  /** When given, must equal the digest of `fields`. */
  digest?: Hex
  signature: string
  /** When given, must be ≥ t distinct indices in 1..n. (Informational: any t shares give the same signature.) */
  signers?: number[]
  /** When given, must be the network's group key. */
  groupPublicKey?: string
  batch?: BatchInclusion
}

export type VerifyAttestationOptions = {
  /**
   * The function the caller asked for: the result must be v2 and name it. A v1 result does not bind
   * its function (another function with the same code could have produced it), so it is refused.
   */
  functionId?: string
}

/**
 * Check the signature part of a result (everything except the output bytes). Returns the digest;
 * throws the typed error of the first failed check. v2 fields (with `functionId`) are checked
 * against the v2 digest, v1 fields against the v1 digest.
 */
export function verifyAttestation(input: AttestationInput, network: Network, options: VerifyAttestationOptions = {}): Hex {
  const digest = resultDigest(input.fields)
  if (input.digest !== undefined && input.digest.toLowerCase() !== digest) throw new DigestMismatchError(digest, input.digest)
  if (network.chainId !== undefined && BigInt(network.chainId) !== input.fields.chainId)
    throw new FieldMismatchError('chainId', network.chainId, input.fields.chainId.toString())
  if (network.verifier !== undefined && network.verifier.toLowerCase() !== input.fields.verifier.toLowerCase())
    throw new FieldMismatchError('verifier', network.verifier, input.fields.verifier)
  if (options.functionId !== undefined && options.functionId !== input.fields.functionId)
    throw new FieldMismatchError(
      'functionId',
      JSON.stringify(options.functionId),
      input.fields.functionId === undefined ? 'none (a v1 result)' : JSON.stringify(input.fields.functionId),
      'caller',
    )
  if (input.groupPublicKey !== undefined && input.groupPublicKey.toLowerCase() !== network.groupPublicKey.toLowerCase())
    throw new WrongKeyError(network.groupPublicKey, input.groupPublicKey)
  if (input.signers !== undefined) {
    const distinct = new Set(input.signers)
    if (distinct.size !== input.signers.length) throw new MalformedResultError('signers', 'repeated replica index')
    for (const s of input.signers) if (s < 1 || s > network.n) throw new MalformedResultError('signers', `replica index ${s} outside 1..${network.n}`)
    if (distinct.size < network.t) throw new TooFewSignersError(distinct.size, network.t)
  }
  let message: Hex = digest
  if (input.batch) {
    const { root, index, size, proof } = input.batch
    if (merkleRootFromProof(digest, index, size, proof) !== root.toLowerCase())
      throw new BadBatchProofError(`proof for index ${index} of ${size} does not lead to root ${root}`)
    message = root
  }
  const signature = decodeG1(input.signature, 'signature')
  if (!pairingCheck(signature, hashToG1(message), decodeNetwork(network).group)) throw new BadSignatureError(message)
  return digest
}

export type VerifyResultReturnType = { ok: true; digest: Hex } | { ok: false; error: NexusError }

function asNexusError(err: unknown): NexusError {
  return err instanceof NexusError ? err : new NexusError('verification failed unexpectedly', { cause: toError(err) })
}

type ZkVerifyModule = { verifyZkResult(result: unknown): Promise<VerifyResultReturnType> }

// Kept in a variable so neither tsc nor bundlers pull the GPL snarkjs path in eagerly.
// `.ts` in the repo, `.js` in the published dist/.
const zkVerifierModule = import.meta.url.endsWith('.ts') ? '../zk/verify.ts' : '../zk/verify.js'

export type VerifyResultOptions = VerifyAttestationOptions & {
  /** Module (relative to this file, or absolute URL) exporting `verifyZkResult`. Default: `'../zk/verify.ts'` */
  zkVerifier?: string
}

async function verifyZk(result: unknown, specifier: string): Promise<VerifyResultReturnType> {
  let mod: ZkVerifyModule
  try {
    mod = (await import(/* @vite-ignore */ new URL(specifier, import.meta.url).href)) as ZkVerifyModule
  } catch (err) {
    return { ok: false, error: new ZkVerifierUnavailableError({ cause: toError(err) }) }
  }
  if (typeof mod.verifyZkResult !== 'function')
    return { ok: false, error: new ZkVerifierUnavailableError({ details: 'zk/verify.ts has no verifyZkResult export' }) }
  try {
    return await mod.verifyZkResult(result)
  } catch (err) {
    return { ok: false, error: asNexusError(err) }
  }
}

/**
 * Verify an attested result (untrusted JSON, protocol v1 or v2) against a network: shape, output
 * hash, digest, pinned chain/verifier, the expected function (`options.functionId`), group key,
 * signers, batch proof, and the BLS signature.
 * @example const v = await verifyResult(JSON.parse(body), network); if (!v.ok) console.log(v.error.shortMessage)
 */
export async function verifyResult(result: unknown, network: Network, options: VerifyResultOptions = {}): Promise<VerifyResultReturnType> {
  if (typeof result === 'object' && result !== null && (result as { kind?: unknown }).kind === 'zk') {
    // A zk result names no function: it cannot satisfy a caller who asks for one.
    if (options.functionId !== undefined)
      return { ok: false, error: new FieldMismatchError('functionId', JSON.stringify(options.functionId), 'none (a zk result)', 'caller') }
    return verifyZk(result, options.zkVerifier ?? zkVerifierModule)
  }
  try {
    const parsed = parseAttestedResult(result)
    const outputHash = keccak256(parsed.output)
    if (outputHash !== parsed.fields.outputHash) throw new OutputMismatchError(parsed.fields.outputHash, outputHash)
    const digest = verifyAttestation(parsed, network, options)
    return { ok: true, digest }
  } catch (err) {
    return { ok: false, error: asNexusError(err) }
  }
}
