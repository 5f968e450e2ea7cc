// Where verification keys come from when a result names only their hash: an in-process registry
// filled by the circuits build, then `<dir>/<hash>.json` files (default `.nexus/circuits/vk/`).
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Hex } from 'viem'
import { computeVerificationKeyHash, type Groth16VerificationKey } from './result.ts'

const registry = new Map<Hex, Groth16VerificationKey>()

/** Make a key resolvable by its hash in this process; returns the hash. */
export function registerVerificationKey(vk: Groth16VerificationKey): Hex {
  const hash = computeVerificationKeyHash(vk)
  registry.set(hash, vk)
  return hash
}

/** Default directory of `<vkHash>.json` files: `$NEXUS_ZK_KEYS` or `.nexus/circuits/vk` under the cwd. */
export function defaultKeyDir(): string {
  return resolve(process.env.NEXUS_ZK_KEYS ?? join(process.cwd(), '.nexus', 'circuits', 'vk'))
}

/** Find the key whose hash is `hash` (registry first, then `dir`); undefined when unknown. */
export async function findVerificationKey(hash: Hex, dir = defaultKeyDir()): Promise<Groth16VerificationKey | undefined> {
  const known = registry.get(hash)
  if (known) return known
  if (!/^0x[0-9a-f]{64}$/.test(hash)) return undefined
  try {
    return JSON.parse(await readFile(join(dir, `${hash}.json`), 'utf8')) as Groth16VerificationKey
  } catch {
    return undefined
  }
}
