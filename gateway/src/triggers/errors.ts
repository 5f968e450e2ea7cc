// Errors of the trigger service and the inbox relay, with stable codes. None of them reaches an
// HTTP client: a failed polling round is logged and retried from the persisted cursor.
import { NexusError } from '@nexus/protocol'

/** The RPC kept failing (dropped connections, 429, 5xx) after every retry. */
export class RpcUnavailableError extends NexusError {
  override name = 'RpcUnavailableError'
  override code = 'NEXUS_TRIGGER_RPC_UNAVAILABLE'
}

/** The RPC refused an `eth_getLogs` range even for a single block. */
export class LogRangeError extends NexusError {
  override name = 'LogRangeError'
  override code = 'NEXUS_TRIGGER_LOG_RANGE'
}

/**
 * A log's block hash is not the canonical hash we hold for its number: the RPC answered from
 * another fork than the one we follow (a reorg raced the query). The round is abandoned and
 * retried; nothing from it was delivered.
 */
export class StaleViewError extends NexusError {
  override name = 'StaleViewError'
  override code = 'NEXUS_TRIGGER_STALE_VIEW'
}

/** A chain in the gateway config has an unusable setting (e.g. confirmations < 0). */
export class ChainConfigError extends NexusError {
  override name = 'ChainConfigError'
  override code = 'NEXUS_TRIGGER_CHAIN_CONFIG'
}
