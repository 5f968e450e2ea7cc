// Shared test fixtures: the small circuits built once into a persistent test cache (content-hashed,
// so reruns reuse them), and a local anvil (the contracts package's launcher).
import { join } from 'node:path'
import { buildCircuit, builtinCircuits, type BuiltCircuit } from '../../src/index.ts'
import { repoRoot } from '../../src/paths.ts'

export const testCacheDir = join(repoRoot, '.nexus', 'test-circuits')

export async function buildSmallCircuits(): Promise<Record<'poseidon-preimage' | 'merkle3', BuiltCircuit>> {
  return {
    'poseidon-preimage': await buildCircuit({ circuit: builtinCircuits['poseidon-preimage'], cacheDir: testCacheDir }),
    merkle3: await buildCircuit({ circuit: builtinCircuits.merkle3, cacheDir: testCacheDir }),
  }
}

export { startAnvil } from '@nexus/contracts'
export { createClients, deployArtifact } from '@nexus/contracts'
