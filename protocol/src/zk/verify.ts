// Off-chain verification of a zk result: shape → key lookup and hash → expectations → Groth16 pairing
// check (snarkjs, loaded on demand because it is GPL) → optional output re-decoding.
import type { Hex } from 'viem'
import { NexusError } from '../errors/base.ts'
import type { ZkFunction } from './declare.ts'
import { ZkCircuitMismatchError, ZkInvalidProofError, ZkMalformedResultError, ZkOutputMismatchError, ZkUnknownVerificationKeyError } from './errors.ts'
import { findVerificationKey } from './keys.ts'
import {
  BN254_Q,
  BN254_R,
  computeVerificationKeyHash,
  computeZkDigest,
  ZK_PROTOCOL,
  type Groth16Proof,
  type Groth16VerificationKey,
  type ZkResult,
} from './result.ts'

export type VerifyZkOptions = {
  /** Use exactly this key (otherwise it is looked up by the result's `verificationKeyHash`). */
  verificationKey?: Groth16VerificationKey
  /** Directory of `<vkHash>.json` keys. Default: `$NEXUS_ZK_KEYS` or `.nexus/circuits/vk`. */
  keyDir?: string
  /** Reject results for any other circuit id. */
  circuitId?: string
  /** Reject results for any other key (pin the key you trust). */
  verificationKeyHash?: Hex
  /** Re-decode `output` from the proven public signals and require it to match. */
  fn?: Pick<ZkFunction, 'decodeOutput'>
}

export type VerifyZkReturnType = { ok: true; digest: Hex } | { ok: false; error: NexusError }

const decimal = /^(0|[1-9][0-9]{0,77})$/

function fail(field: string, why: string): never {
  throw new ZkMalformedResultError(`Malformed zk result: ${field} ${why}.`)
}

function checkCoords(value: unknown, field: string, shape: number[]): void {
  const [len, ...rest] = shape
  if (!Array.isArray(value) || value.length !== len) fail(field, `must be an array of ${len}`)
  value.forEach((v, i) => {
    if (rest.length) return checkCoords(v, `${field}[${i}]`, rest)
    if (typeof v !== 'string' || !decimal.test(v) || BigInt(v) >= BN254_Q) fail(`${field}[${i}]`, 'must be a decimal coordinate below q')
  })
}

/** Parse an unknown value as a zk result; throws `ZkMalformedResultError` naming the bad field. */
export function parseZkResult(result: unknown): ZkResult {
  if (typeof result !== 'object' || result === null) fail('result', 'must be an object')
  const r = result as Record<string, unknown>
  if (r.protocol !== ZK_PROTOCOL) fail('protocol', `must be "${ZK_PROTOCOL}"`)
  if (r.kind !== 'zk') fail('kind', 'must be "zk"')
  if (typeof r.circuitId !== 'string' || r.circuitId.length === 0 || r.circuitId.length > 128) fail('circuitId', 'must be a non-empty string')
  if (typeof r.verificationKeyHash !== 'string' || !/^0x[0-9a-f]{64}$/.test(r.verificationKeyHash))
    fail('verificationKeyHash', 'must be 0x + 64 lowercase hex digits')
  const proof = r.proof as Record<string, unknown> | null
  if (typeof proof !== 'object' || proof === null) fail('proof', 'must be an object')
  if (proof.protocol !== 'groth16') fail('proof.protocol', 'must be "groth16"')
  if (proof.curve !== 'bn128') fail('proof.curve', 'must be "bn128"')
  checkCoords(proof.pi_a, 'proof.pi_a', [3])
  checkCoords(proof.pi_b, 'proof.pi_b', [3, 2])
  checkCoords(proof.pi_c, 'proof.pi_c', [3])
  if (!Array.isArray(r.publicSignals)) fail('publicSignals', 'must be an array')
  r.publicSignals.forEach((s, i) => {
    if (typeof s !== 'string' || !decimal.test(s) || BigInt(s) >= BN254_R) fail(`publicSignals[${i}]`, 'must be a decimal string below r')
  })
  return r as ZkResult
}

/** Raw Groth16 pairing check with snarkjs (single-threaded curve, safe in workers and CLIs). */
export async function verifyGroth16(vk: Groth16VerificationKey, signals: readonly string[], proof: Groth16Proof): Promise<boolean> {
  const snarkjs = await import('snarkjs')
  // snarkjs builds a multi-threaded curve by default; it fails inside worker threads and keeps the
  // process alive. A single-threaded curve cached where snarkjs looks for it avoids both.
  const g = globalThis as { curve_bn128?: unknown }
  if (!g.curve_bn128) g.curve_bn128 = await snarkjs.curves.getCurveFromName('bn128', { singleThread: true })
  return snarkjs.groth16.verify(vk as never, signals, proof)
}

/**
 * Verify a zk result off-chain.
 * @example
 * const r = await verifyZkResult(await res.json(), { circuitId: 'merkle3' })
 * if (!r.ok) throw r.error
 */
export async function verifyZkResult(result: unknown, options: VerifyZkOptions = {}): Promise<VerifyZkReturnType> {
  try {
    const r = parseZkResult(result)
    if (options.circuitId !== undefined && r.circuitId !== options.circuitId) {
      throw new ZkCircuitMismatchError(`Result is for circuit "${r.circuitId}", expected "${options.circuitId}".`)
    }
    if (options.verificationKeyHash !== undefined && r.verificationKeyHash !== options.verificationKeyHash) {
      throw new ZkCircuitMismatchError(`Result is for key ${r.verificationKeyHash}, expected ${options.verificationKeyHash}.`)
    }
    const vk = options.verificationKey ?? (await findVerificationKey(r.verificationKeyHash, options.keyDir))
    if (!vk) {
      throw new ZkUnknownVerificationKeyError(`No verification key is known for hash ${r.verificationKeyHash}.`, {
        metaMessages: ['Build the circuit (its key lands in .nexus/circuits/vk/) or pass `verificationKey`.'],
      })
    }
    const actual = computeVerificationKeyHash(vk)
    if (actual !== r.verificationKeyHash) {
      throw new ZkCircuitMismatchError(`The verification key hashes to ${actual}, the result names ${r.verificationKeyHash}.`)
    }
    if (vk.protocol !== 'groth16' || vk.curve !== 'bn128' || r.publicSignals.length !== vk.nPublic) {
      throw new ZkInvalidProofError(`Circuit key expects ${vk.nPublic} public signals, the result has ${r.publicSignals.length}.`)
    }
    if (!(await verifyGroth16(vk, r.publicSignals, r.proof))) {
      throw new ZkInvalidProofError(`The Groth16 proof does not verify for circuit "${r.circuitId}".`)
    }
    if (options.fn) {
      const expected = JSON.stringify(options.fn.decodeOutput(r.publicSignals))
      if (expected !== JSON.stringify(r.output)) {
        throw new ZkOutputMismatchError('The result output does not match the proven public signals.')
      }
    }
    return { ok: true, digest: computeZkDigest(r) }
  } catch (err) {
    if (err instanceof NexusError) return { ok: false, error: err }
    return { ok: false, error: new ZkInvalidProofError('The zk result could not be verified.', { cause: err }) }
  }
}
