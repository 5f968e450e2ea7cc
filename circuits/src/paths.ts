// Fixed locations: the repository (for circom sources and node_modules) and the default cache.
import { dirname, join, resolve } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

export const circuitsRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const repoRoot = resolve(circuitsRoot, '..')
export const circomDir = join(circuitsRoot, 'circom')
/** The node_modules folder circom includes `circomlib/...` from: wherever circomlib is installed (the repository's, or a user's). */
export const nodeModulesDir = dirname(dirname(createRequire(import.meta.url).resolve('circomlib/package.json')))

/** Build cache: `$NEXUS_CIRCUITS_CACHE` or `.nexus/circuits` under the current directory. */
export function defaultCacheDir(): string {
  return resolve(process.env.NEXUS_CIRCUITS_CACHE ?? join(process.cwd(), '.nexus', 'circuits'))
}

/** Dev powers-of-tau directory: `$NEXUS_PTAU_DIR` or `../shared/ptau` next to the repository. */
export function defaultPtauDir(): string {
  return resolve(process.env.NEXUS_PTAU_DIR ?? join(repoRoot, '..', 'shared', 'ptau'))
}
