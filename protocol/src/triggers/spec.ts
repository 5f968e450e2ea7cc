// What a deployed function says about how it is triggered: `manifest.triggers`, written by the
// build from the handler's decorators and nexus.config.ts, read by the gateway (trigger service,
// cron ticker, HTTP routes). Plain JSON: bigints as decimal strings.
import type { AbiEvent, Hex } from 'viem'

/** When a block counts as final: `latest` minus N confirmations, or the node's `safe` / `finalized` tag. */
export type Finality = { confirmations: number } | 'safe' | 'finalized'

/** A chain the gateway follows (from `defineConfig({ chains })`; the RPC URL is deployment config, not manifest). */
export type ChainSpec = {
  /** Config name, e.g. `devnet`, `mainnet`. */
  name: string
  chainId: number
  rpcUrl: string
  /** Default: `{ confirmations: 2 }`. */
  finality?: Finality
  /** Poll interval for new heads, ms. Default: 1000 (250 on devnet). */
  pollingIntervalMs?: number
  /** Largest `eth_getLogs` block range to ask for before splitting. Default: 2000. */
  maxLogRange?: number
}

export type EventTriggerSpec = {
  kind: 'event'
  /** Chain config name. */
  chain: string
  chainId: number
  /** Contract config name and address. */
  contract: string
  address: Hex
  /** Event name and its ABI item (for decoding and the topic-0 selector). */
  event: string
  abi: AbiEvent
  topic0: Hex
  /** Indexed-argument filter as topics 1..3 (null = any), as viem `encodeEventTopics` gives. */
  topics?: (Hex | Hex[] | null)[]
  /** First block to deliver from (backfill). Default: the chain head when first deployed. */
  startBlock?: string
}

export type BlockTriggerSpec = {
  kind: 'block'
  chain: string
  chainId: number
  /** Fire on block numbers divisible by `every`. Default 1. */
  every: number
  startBlock?: string
}

export type RouteTriggerSpec = { kind: 'route'; method: string; path: string }

export type CronTriggerSpec = { kind: 'cron'; schedule: string }

export type TriggerSpec = EventTriggerSpec | BlockTriggerSpec | RouteTriggerSpec | CronTriggerSpec

/** The `triggers` of a manifest, or [] when it has none (plain HTTP-invoked functions). */
export function manifestTriggers(manifest: Record<string, unknown>): TriggerSpec[] {
  const triggers = manifest.triggers
  return Array.isArray(triggers) ? (triggers as TriggerSpec[]) : []
}
