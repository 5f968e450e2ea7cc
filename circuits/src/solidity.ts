// The on-chain Groth16 verifier of a built circuit: exported by snarkjs from the zkey, compiled with
// solc-js (evmVersion prague), cached next to the circuit's other artifacts.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { ZkBuildError, type Groth16Proof } from '@nexus/protocol/zk'
import { encodeAbiParameters, keccak256, type Abi, type Hex } from 'viem'
import type { BuiltCircuit } from './build/build-circuit.ts'

const require = createRequire(import.meta.url)

type SolcOutput = {
  errors?: { severity: string; formattedMessage: string }[]
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>
}

export type CompiledVerifier = { contractName: 'Groth16Verifier'; source: string; abi: Abi; bytecode: Hex; deployedSize: number; solc: string }

/** snarkjs's Solidity verifier for this circuit's zkey (`Groth16Verifier.verifyProof(pA, pB, pC, pubSignals)`). */
export async function exportGroth16Verifier(circuit: Pick<BuiltCircuit, 'zkeyPath' | 'dir'>): Promise<string> {
  const file = join(circuit.dir, 'Groth16Verifier.sol')
  if (existsSync(file)) return readFileSync(file, 'utf8')
  const snarkjs = await import('snarkjs')
  const template = readFileSync(join(dirname(require.resolve('snarkjs')), '..', 'templates', 'verifier_groth16.sol.ejs'), 'utf8')
  const source = await snarkjs.zKey.exportSolidityVerifier(circuit.zkeyPath, { groth16: template })
  writeFileSync(file, source)
  return source
}

/** Compile Solidity source containing `Groth16Verifier` with solc-js for Prague. */
export function compileGroth16Verifier(source: string): CompiledVerifier {
  const solc = require('solc') as { compile(input: string): string; version(): string }
  const input = {
    language: 'Solidity',
    sources: { 'Groth16Verifier.sol': { content: source } },
    settings: {
      evmVersion: 'prague',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  }
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length) throw new ZkBuildError('solc failed to compile the Groth16 verifier.', { details: errors.map((e) => e.formattedMessage).join('\n') })
  const c = out.contracts?.['Groth16Verifier.sol']?.Groth16Verifier
  if (!c) throw new ZkBuildError('solc produced no Groth16Verifier contract.')
  return {
    contractName: 'Groth16Verifier',
    source,
    abi: c.abi,
    bytecode: `0x${c.evm.bytecode.object}`,
    deployedSize: c.evm.deployedBytecode.object.length / 2,
    solc: solc.version(),
  }
}

/** Export and compile the circuit's verifier, cached as `verifier.json` in the circuit's directory. */
export async function buildGroth16Verifier(circuit: Pick<BuiltCircuit, 'zkeyPath' | 'dir'>): Promise<CompiledVerifier> {
  const file = join(circuit.dir, 'verifier.json')
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as CompiledVerifier
  const compiled = compileGroth16Verifier(await exportGroth16Verifier(circuit))
  // Write then rename: a parallel process reading the cache never sees a half-written file.
  const tmp = `${file}.tmp-${process.pid}`
  writeFileSync(tmp, JSON.stringify(compiled))
  renameSync(tmp, file)
  return compiled
}

export type SolidityProofArgs = readonly [
  readonly [bigint, bigint],
  readonly [readonly [bigint, bigint], readonly [bigint, bigint]],
  readonly [bigint, bigint],
  readonly bigint[],
]

/**
 * Arguments of `verifyProof(pA, pB, pC, pubSignals)`. G2 coordinates are swapped to (imaginary, real),
 * the order of the EIP-197 pairing precompile, as snarkjs's `exportSolidityCallData` does.
 */
export function toSolidityProofArgs(proof: Groth16Proof, publicSignals: readonly string[]): SolidityProofArgs {
  const n = (v: string | undefined) => BigInt(v ?? 'x')
  const b = proof.pi_b
  return [
    [n(proof.pi_a[0]), n(proof.pi_a[1])],
    [
      [n(b[0]?.[1]), n(b[0]?.[0])],
      [n(b[1]?.[1]), n(b[1]?.[0])],
    ],
    [n(proof.pi_c[0]), n(proof.pi_c[1])],
    publicSignals.map((s) => BigInt(s)),
  ]
}

/**
 * The bytes `NexusInbox.fulfil` takes for a zk function behind the contracts package's
 * `NexusGroth16Adapter`: input = abi.encode(uint256[] publicInputs), output = abi.encode(uint256[]
 * publicOutputs), proof = abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c).
 */
export function encodeForInbox(result: { proof: Groth16Proof; publicSignals: readonly string[] }, nOutputs: number): { input: Hex; output: Hex; proof: Hex } {
  const [a, b, c, signals] = toSolidityProofArgs(result.proof, result.publicSignals)
  const list = { type: 'uint256[]' } as const
  return {
    input: encodeAbiParameters([list], [signals.slice(nOutputs)]),
    output: encodeAbiParameters([list], [signals.slice(0, nOutputs)]),
    proof: encodeAbiParameters([{ type: 'uint256[2]' }, { type: 'uint256[2][2]' }, { type: 'uint256[2]' }], [a, b, c] as never),
  }
}

/**
 * The four arguments of `NexusInbox.fulfil(requestId, result, output, attestation)` for a zk result
 * of a function registered in Groth16 mode behind `NexusGroth16Adapter`. The inbox reads only
 * `inputHash`, `outputHash` and `status` of `result` in that mode; `attestation` is
 * abi.encode(bytes input, bytes proof), the input re-sent because the inbox keeps only its hash.
 */
export function toZkFulfilArgs(
  requestId: bigint,
  result: { proof: Groth16Proof; publicSignals: readonly string[]; verificationKeyHash: Hex },
  nOutputs: number,
) {
  const { input, output, proof } = encodeForInbox(result, nOutputs)
  const zero = `0x${'00'.repeat(32)}` as Hex
  const fields = {
    chainId: 0n,
    verifier: '0x0000000000000000000000000000000000000000' as Hex,
    functionIdHash: zero, // not read in Groth16 mode (the struct's v2 field)
    codeHash: result.verificationKeyHash,
    seq: 0n,
    inputHash: keccak256(input),
    status: 0,
    outputHash: keccak256(output),
    stateRootBefore: zero,
    stateRootAfter: zero,
    fuelUsed: 0n,
  }
  const attestation = encodeAbiParameters([{ type: 'bytes' }, { type: 'bytes' }], [input, proof])
  return [requestId, fields, output, attestation] as const
}
