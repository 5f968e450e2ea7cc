// The circuits that ship with Nexus. A project adds its own by passing `{ id, main }` to `buildCircuit`.
import { join } from 'node:path'
import { circomDir } from './paths.ts'

export type CircuitDefinition = {
  /** Stable id used in results (`circuitId`) and cache directory names. */
  id: string
  /** Path of the `.circom` file that declares `component main`. */
  main: string
}

export const builtinCircuits = {
  /** Poseidon(preimage, salt) = hash: 240 constraints, one public output. */
  'poseidon-preimage': { id: 'poseidon-preimage', main: join(circomDir, 'poseidon_preimage.circom') },
  /** Poseidon Merkle membership, depth 3: ~1.2k constraints; public nullifier, root, scope. */
  merkle3: { id: 'merkle3', main: join(circomDir, 'merkle3.circom') },
  /** Poseidon Merkle membership, depth 40: ~10k constraints. */
  merkle40: { id: 'merkle40', main: join(circomDir, 'merkle40.circom') },
  /** SHA-256 of 64 private bytes: ~60k constraints; public digest as two 128-bit halves. */
  'sha256-64': { id: 'sha256-64', main: join(circomDir, 'sha256_64.circom') },
} satisfies Record<string, CircuitDefinition>

export type BuiltinCircuitId = keyof typeof builtinCircuits
