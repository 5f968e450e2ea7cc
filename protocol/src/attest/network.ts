// The public network file: threshold, group key, share public keys and (optionally) the Feldman
// commitments they derive from. Loaded by verifiers, the gateway and `nexus verify`.
import type { Address, Hex } from 'viem'
import { RESULT_PROTOCOL } from './digest.ts'
import { KeygenError, MalformedResultError } from './errors.ts'
import { bls, decodeG2, encodeG2, type G2Point } from './points.ts'

export type Network = {
  protocol: 'nexus.result.v1'
  t: number
  n: number
  /** Compressed G2 group public key (= commitments[0]). */
  groupPublicKey: Hex
  sharePublicKeys: { index: number; publicKey: Hex }[]
  /** Chain the results are for; results for another chain are rejected when set. */
  chainId?: string
  /** Verifier contract the results are for; checked when set. */
  verifier?: Address
  /** Feldman commitments C_0..C_{t-1} (compressed G2); share keys are derived from them. */
  commitments?: Hex[]
}

/** Largest supported replica count (indices must stay small for cheap Feldman checks). */
export const MAX_REPLICAS = 1024

export function assertThreshold(t: unknown, n: unknown): asserts t is number {
  if (!Number.isSafeInteger(n) || (n as number) < 1 || (n as number) > MAX_REPLICAS)
    throw new KeygenError(`n must be an integer in 1..${MAX_REPLICAS}, got ${String(n)}`)
  if (!Number.isSafeInteger(t) || (t as number) < 1 || (t as number) > (n as number))
    throw new KeygenError(`t must be an integer in 1..n (n = ${String(n)}), got ${String(t)}`)
}

/** PK_i = Σ_k i^k · C_k, by Horner's rule (i is small, so each step is a few doublings). */
export function deriveSharePublicKey(commitments: readonly G2Point[], index: number): G2Point {
  const i = BigInt(index)
  let acc = bls.G2.Point.ZERO as G2Point
  for (let k = commitments.length - 1; k >= 0; k--) acc = acc.multiplyUnsafe(i).add(commitments[k]!)
  return acc
}

/** Build the network description from Feldman commitments (group key and every share key derived). */
export function networkFromCommitments(t: number, n: number, commitments: readonly G2Point[]): Network {
  assertThreshold(t, n)
  if (commitments.length !== t) throw new KeygenError(`expected ${t} commitments, got ${commitments.length}`)
  const sharePublicKeys = []
  for (let index = 1; index <= n; index++) sharePublicKeys.push({ index, publicKey: encodeG2(deriveSharePublicKey(commitments, index)) })
  return {
    protocol: RESULT_PROTOCOL,
    t,
    n,
    groupPublicKey: encodeG2(commitments[0]!),
    sharePublicKeys,
    commitments: commitments.map(encodeG2),
  }
}

type DecodedNetwork = { group: G2Point; shares: Map<number, G2Point> }
const decodedCache = new WeakMap<Network, DecodedNetwork>()

/** Decoded (subgroup-checked) keys of a network, memoised per network object. */
export function decodeNetwork(network: Network): DecodedNetwork {
  let decoded = decodedCache.get(network)
  if (!decoded) {
    const shares = new Map<number, G2Point>()
    for (const { index, publicKey } of network.sharePublicKeys) shares.set(index, decodeG2(publicKey, `share public key ${index}`))
    decoded = { group: decodeG2(network.groupPublicKey, 'group public key'), shares }
    decodedCache.set(network, decoded)
  }
  return decoded
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Validate an untrusted network file. Decodes every key (on curve, in subgroup) and, when
 * commitments are present, checks that the group key and every share key derive from them.
 */
export function parseNetwork(value: unknown): Network {
  if (!isObject(value)) throw new MalformedResultError('network', 'expected an object')
  if (value.protocol !== RESULT_PROTOCOL) throw new MalformedResultError('network.protocol', `expected "${RESULT_PROTOCOL}"`)
  const { t, n } = value
  try {
    assertThreshold(t, n)
  } catch (err) {
    throw new MalformedResultError('network.t/n', (err as Error).message)
  }
  const nn = n as number
  if (typeof value.groupPublicKey !== 'string') throw new MalformedResultError('network.groupPublicKey', 'expected hex')
  if (!Array.isArray(value.sharePublicKeys) || value.sharePublicKeys.length !== nn)
    throw new MalformedResultError('network.sharePublicKeys', `expected ${nn} entries`)
  const sharePublicKeys = value.sharePublicKeys.map((entry: unknown, i: number) => {
    if (!isObject(entry) || entry.index !== i + 1 || typeof entry.publicKey !== 'string')
      throw new MalformedResultError(`network.sharePublicKeys[${i}]`, `expected { index: ${i + 1}, publicKey: hex }`)
    return { index: i + 1, publicKey: entry.publicKey as Hex }
  })
  const network: Network = { protocol: RESULT_PROTOCOL, t, n: nn, groupPublicKey: value.groupPublicKey as Hex, sharePublicKeys }
  if (value.chainId !== undefined) {
    if (typeof value.chainId !== 'string' || !/^(0|[1-9][0-9]*)$/.test(value.chainId))
      throw new MalformedResultError('network.chainId', 'expected a decimal string')
    network.chainId = value.chainId
  }
  if (value.verifier !== undefined) {
    if (typeof value.verifier !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value.verifier))
      throw new MalformedResultError('network.verifier', 'expected a 20-byte hex address')
    network.verifier = value.verifier as Address
  }
  const decoded = decodeNetwork(network)
  if (value.commitments !== undefined) {
    if (!Array.isArray(value.commitments) || value.commitments.length !== t) throw new MalformedResultError('network.commitments', `expected ${t} commitments`)
    const commitments = value.commitments.map((c: unknown, k: number) => decodeG2(c, `commitment ${k}`))
    if (!commitments[0]!.equals(decoded.group)) throw new KeygenError('network: groupPublicKey is not commitments[0]')
    for (const [index, pk] of decoded.shares)
      if (!deriveSharePublicKey(commitments, index).equals(pk)) throw new KeygenError(`network: share public key ${index} does not match the commitments`)
    network.commitments = value.commitments as Hex[]
  }
  return network
}
