// Fixed locations: the repository (for circom sources and node_modules) and the default cache.
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const circuitsRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const repoRoot = resolve(circuitsRoot, '..')
export const circomDir = join(circuitsRoot, 'circom')
export const nodeModulesDir = join(repoRoot, 'node_modules')

/** Build cache: `$NEXUS_CIRCUITS_CACHE` or `.nexus/circuits` under the current directory. */
export function defaultCacheDir(): string {
  return resolve(process.env.NEXUS_CIRCUITS_CACHE ?? join(process.cwd(), '.nexus', 'circuits'))
}

/** Dev powers-of-tau directory: `$NEXUS_PTAU_DIR` or `../shared/ptau` next to the repository. */
export function defaultPtauDir(): string {
  return resolve(process.env.NEXUS_PTAU_DIR ?? join(repoRoot, '..', 'shared', 'ptau'))
}
