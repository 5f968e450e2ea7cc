// `nexus.config.ts`: the chains a project listens to, the contracts whose events it handles, and
// how many replicas attest its results. `defineConfig` is an identity function whose `const`
// generics keep every literal (contract names, ABIs, event names) so handler contexts are typed
// from the config, the way Ponder's `ponder.on` is.
import type { Abi, Address } from 'viem'
import type { Finality } from '@nexus/protocol'

export type ChainConfig = {
  chainId: number
  /** JSON-RPC endpoint the gateway follows. Default for `devnet`: http://127.0.0.1:8545. */
  rpcUrl?: string
  /** When a block counts as final on this chain. Default: the project's `finality`. */
  finality?: Finality
  /** Poll interval for new heads, ms. Default: 1000 (250 on devnet). */
  pollingIntervalMs?: number
  /** Largest `eth_getLogs` block range before splitting. Default: 2000. */
  maxLogRange?: number
}

export type ContractConfig<TChain extends string = string, TAbi extends Abi = Abi> = {
  /** Name of a chain in `chains`. */
  chain: TChain
  address: Address
  abi: TAbi
  /** First block whose events are delivered (backfill). Default: the chain head at first deploy. */
  startBlock?: number | bigint
}

export type StorageConfig =
  /** Embedded PostgreSQL (PGlite), one data directory per replica under `.nexus/`. */
  | { kind: 'pglite' }
  /** A real PostgreSQL server; each replica gets its own schema. */
  | { kind: 'postgres'; databaseUrl: string }

export type NexusConfig<
  TChains extends Record<string, ChainConfig> = Record<string, ChainConfig>,
  TContracts extends Record<string, ContractConfig<Extract<keyof TChains, string>>> = Record<string, ContractConfig<Extract<keyof TChains, string>>>,
> = {
  /** Project name: prefix of every function id (`<name>-<handler>`). Default: the config's folder name. */
  name?: string
  /** Chains the event, block and cron handlers follow. Default: none (an HTTP-only project needs none). */
  chains?: TChains
  contracts?: TContracts
  /** Replicas that execute every invocation (`n`). Default: 4. */
  replicas?: number
  /** Matching signed results needed (`t`). Default: ⌊2n/3⌋ + 1 (3 of 4). */
  threshold?: number
  /** Default finality for chains that do not set their own. Default: `{ confirmations: 2 }`. */
  finality?: Finality
  /** Default: `{ kind: 'pglite' }`, or PostgreSQL when DATABASE_URL is set at deploy time. */
  storage?: StorageConfig
  /** Resource limits of every function (fuel, memory pages, value sizes). Default: the runtime's defaults (50 M fuel, 128 MiB). */
  limits?: FunctionLimits
}

/** Per-invocation limits written into each manifest (runtime/src/sandbox/limits.ts). */
export type FunctionLimits = {
  fuel?: number
  memoryPages?: number
  maxValueBytes?: number
  maxFileBytes?: number
  maxKeyBytes?: number
  maxOutputBytes?: number
  /** Distinct KV keys and file paths one invocation may write. Default: 256. */
  maxWriteKeys?: number
  /** Bytes one invocation may write (KV keys and values, file bytes). Default: 32 MiB. */
  maxWriteBytes?: number
}

/**
 * Declare a project's configuration. Returns its argument unchanged; the `const` type parameters
 * keep contract names, ABIs and event names as literals for typed handler contexts.
 * @example
 * export default defineConfig({
 *   chains: { devnet: { chainId: 31337 } },
 *   contracts: { Token: { chain: 'devnet', address: '0x5FbDB2315678afecb367f032d93F642f64180aa3', abi: erc20Abi } },
 * })
 */
export function defineConfig<
  const TChains extends Record<string, ChainConfig>,
  const TContracts extends Record<string, ContractConfig<Extract<keyof TChains, string>>> = {},
>(config: NexusConfig<TChains, TContracts>): NexusConfig<TChains, TContracts> {
  return config
}

export const configDefaults = {
  replicas: 4,
  finality: { confirmations: 2 } as Finality,
  devnetRpcUrl: 'http://127.0.0.1:8545',
  storage: { kind: 'pglite' } as StorageConfig,
} as const

/** Default threshold for `n` replicas: the smallest majority that tolerates ⌊(n-1)/3⌋ faulty ones. */
export function defaultThreshold(replicas: number): number {
  return Math.floor((2 * replicas) / 3) + 1
}
