// The zk result JSON (protocol `nexus.zk.v1`) and the hashes that identify a circuit's key and a result.
import { encodeAbiParameters, keccak256, stringToHex, type Hex } from 'viem'

export const ZK_PROTOCOL = 'nexus.zk.v1'

export { BN254_R, BN254_Q } from './constants.ts'

/** A Groth16 proof as snarkjs writes it (projective coordinates, decimal strings). */
export type Groth16Proof = {
  pi_a: string[]
  pi_b: string[][]
  pi_c: string[]
  protocol: string
  curve: string
}

/** A Groth16 verification key as snarkjs exports it. */
export type Groth16VerificationKey = {
  protocol: string
  curve: string
  nPublic: number
  vk_alpha_1: string[]
  vk_beta_2: string[][]
  vk_gamma_2: string[][]
  vk_delta_2: string[][]
  IC: string[][]
  [extra: string]: unknown
}

/** What the gateway serves for a successful zk invocation. */
export type ZkResult<TOutput = unknown> = {
  protocol: typeof ZK_PROTOCOL
  kind: 'zk'
  circuitId: string
  verificationKeyHash: Hex
  proof: Groth16Proof
  /** Decimal strings, in circuit order: outputs first, then public inputs. */
  publicSignals: string[]
  /** Decoded from `publicSignals` by the function's declaration; not itself proven. */
  output: TOutput
}

/** What the gateway serves when a zk invocation fails (bad inputs, every prover failed). */
export type ZkErrorResult = {
  protocol: typeof ZK_PROTOCOL
  kind: 'zk'
  status: 'error'
  circuitId: string
  error: { code: string; name: string; message: string }
}

const VK_DOMAIN = keccak256(stringToHex('nexus.zk.vk.v1'))
const RESULT_DOMAIN = keccak256(stringToHex(ZK_PROTOCOL))

/**
 * keccak256 of the key's affine coordinates (independent of JSON formatting):
 * `keccak256(abi.encode(keccak256("nexus.zk.vk.v1"), uint256 nPublic, uint256[] coords))`, coords =
 * alpha1.xy ‖ beta2 (x0,x1,y0,y1) ‖ gamma2 ‖ delta2 ‖ IC[0..nPublic].xy, as snarkjs orders them.
 */
export function computeVerificationKeyHash(vk: Groth16VerificationKey): Hex {
  const g1 = (p: string[]) => [p[0], p[1]]
  const g2 = (p: string[][]) => [p[0]?.[0], p[0]?.[1], p[1]?.[0], p[1]?.[1]]
  const coords = [...g1(vk.vk_alpha_1), ...g2(vk.vk_beta_2), ...g2(vk.vk_gamma_2), ...g2(vk.vk_delta_2), ...vk.IC.flatMap(g1)].map((c) => BigInt(c ?? 'x'))
  return keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'uint256' }, { type: 'uint256[]' }], [VK_DOMAIN, BigInt(vk.nPublic), coords]))
}

/**
 * The digest of a zk result, what a consumer records or a contract recomputes:
 * `keccak256(abi.encode(keccak256("nexus.zk.v1"), keccak256(bytes(circuitId)), vkHash, uint256[] publicSignals))`.
 */
export function computeZkDigest(parameters: { circuitId: string; verificationKeyHash: Hex; publicSignals: readonly string[] }): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'uint256[]' }],
      [RESULT_DOMAIN, keccak256(stringToHex(parameters.circuitId)), parameters.verificationKeyHash, parameters.publicSignals.map((s) => BigInt(s))],
    ),
  )
}
