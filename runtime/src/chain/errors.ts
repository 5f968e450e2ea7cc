import { NexusError } from '@nexus/protocol'

/**
 * A chain read could not be answered (RPC down, timeout, node behind the pinned block, no RPC
 * configured for the chain). Nothing about it is deterministic, so the invocation is not recorded
 * and the replica answers 503: the gateway retries later instead of attesting a flaky result.
 */
export class ChainUnavailableError extends NexusError {
  override name = 'ChainUnavailableError'
  override code = 'CHAIN_UNAVAILABLE'
  override status = 503
}
