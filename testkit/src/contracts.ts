// Shared by the contract tests: the conformance vectors, a chain with Nexus deployed, and small
// signing helpers written independently of protocol/src/attest (so tests cross-check it).
import { readFileSync } from 'node:fs'
import { bls12_381 } from '@noble/curves/bls12-381.js'
import { BaseError, ContractFunctionRevertedError, hexToBytes, type Hex } from 'viem'
import { g1ToEip2537, toContractResult, type ResultFieldsLike } from '@nexus/contracts'
import type { StatusCode } from '@nexus/protocol'

export type Vectors = {
  network: {
    t: number
    n: number
    dst: string
    groupPublicKey: Hex
    groupPublicKeyEip2537: Hex
    shares: { index: number; secretKey: Hex; publicKey: Hex }[]
  }
  valid: {
    fields: ResultFieldsLike
    digest: Hex
    hashToG1Eip2537: Hex
    shares: { index: number; signature: Hex }[]
    signers: number[]
    signature: Hex
    signatureEip2537: Hex
  }[]
  invalid: { why: string; fields: ResultFieldsLike; signature: Hex; signatureEip2537?: Hex }[]
}

const loadVectors = (name: string) => JSON.parse(readFileSync(new URL(`../../../shared/vectors/${name}.json`, import.meta.url), 'utf8')) as Vectors
export const vectors = loadVectors('protocol-v1')
/** Protocol v2 (the function id in the digest), from the same independent implementation. */
export const vectorsV2 = loadVectors('protocol-v2')

export const DST = 'NEXUS-V1-BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_'
const Fr = bls12_381.fields.Fr

/** Lagrange interpolation at 0 of t shares: the group secret (test-only; a real network never has it). */
export function groupSecret(shares: { index: number; secretKey: Hex }[]): bigint {
  let secret = 0n
  for (const i of shares) {
    let num = 1n
    let den = 1n
    for (const j of shares) {
      if (j.index === i.index) continue
      num = Fr.mul(num, BigInt(j.index))
      den = Fr.mul(den, Fr.sub(BigInt(j.index), BigInt(i.index)))
    }
    secret = Fr.add(secret, Fr.mul(BigInt(i.secretKey), Fr.div(num, den)))
  }
  return secret
}

/** min-sig signature of a 32-byte message, EIP-2537 encoded. */
export function signEip2537(secret: bigint, message: Hex): Hex {
  const h = bls12_381.G1.hashToCurve(hexToBytes(message), { DST })
  const sig = (h as unknown as { multiply(k: bigint): { toBytes(c: boolean): Uint8Array } }).multiply(secret)
  return g1ToEip2537(`0x${Buffer.from(sig.toBytes(true)).toString('hex')}`)
}

/** G2 public key of a secret, EIP-2537 encoded. */
export function publicKeyEip2537(secret: bigint): Hex {
  const { x, y } = bls12_381.G2.Point.BASE.multiply(secret).toAffine()
  const p = (v: bigint) => v.toString(16).padStart(128, '0')
  return `0x${p(x.c0)}${p(x.c1)}${p(y.c0)}${p(y.c1)}`
}

/** The custom error name a failed contract call reverted with, or `undefined` if it did not revert. */
export async function revertName(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call
    return undefined
  } catch (err) {
    if (err instanceof BaseError) {
      const revert = err.walk((e) => e instanceof ContractFunctionRevertedError)
      if (revert instanceof ContractFunctionRevertedError) return revert.data?.errorName ?? revert.reason ?? 'unknown revert'
    }
    throw err
  }
}

export const result = toContractResult

// --- Replicas, played by the attestation code itself (protocol/src/attest) -----------------------
import { keccak256 as keccak, sha256, toHex as hex, type Address } from 'viem'
import {
  combineShares,
  createAttestedResult,
  dealerKeygen,
  resultDigest,
  signShare,
  type AttestedResult,
  type ResultFields,
  type ShareKey,
  type Network,
} from '@nexus/protocol/attest'

export type TestNetwork = { network: Network; shares: ShareKey[] }

/** A 3-of-4 network from the dealer keygen (deterministic seed). */
export function testNetwork(seed = 'contracts-test'): TestNetwork {
  const { network, shares } = dealerKeygen({ t: 3, n: 4, seed: new TextEncoder().encode(seed) })
  return { network, shares }
}

export const CODE_HASH = sha256(hex('nexus example component'))

/** The fields a replica would produce for `input` → `output` (state roots and fuel are made up). */
export function fieldsFor(p: {
  verifier: Address
  input: Hex
  output: Hex
  seq: bigint
  status?: StatusCode
  codeHash?: Hex
  chainId?: bigint
  functionId?: string
}): ResultFields {
  return {
    chainId: p.chainId ?? 31337n,
    verifier: p.verifier,
    ...(p.functionId === undefined ? {} : { functionId: p.functionId }),
    codeHash: p.codeHash ?? CODE_HASH,
    seq: p.seq,
    inputHash: keccak(p.input),
    status: p.status ?? 0,
    outputHash: keccak(p.output),
    stateRootBefore: keccak(hex(`state ${p.seq - 1n}`)),
    stateRootAfter: keccak(hex(`state ${p.seq}`)),
    fuelUsed: 40_000n + p.seq,
  }
}

/** Every replica signs its share; the "gateway" combines the shares of `signers` (t of them). */
export function attest(net: TestNetwork, fields: ResultFields, output: Hex, signers = [1, 2, 4]): AttestedResult {
  const digest = resultDigest(fields)
  const shares = net.shares.filter((s) => signers.includes(s.index)).map((s) => signShare(digest, s))
  const { signature, signers: used } = combineShares(digest, shares, net.network)
  return createAttestedResult({ fields, output, signature, signers: used, groupPublicKey: net.network.groupPublicKey })
}
