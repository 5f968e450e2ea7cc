// Errors of the gateway's zk path that are not already framework zk errors.
import { NexusError } from '@nexus/protocol'

/** A handler file's zk declarations could not be bundled or componentized for the runtime. */
export class ZkGuestBuildError extends NexusError {
  override name = 'ZkGuestBuildError'
  override code = 'NEXUS_ZK_GUEST_BUILD_FAILED'
}

/** The zk service was configured with something it cannot serve (unknown circuit, duplicate name). */
export class ZkConfigError extends NexusError {
  override name = 'ZkConfigError'
  override code = 'NEXUS_ZK_CONFIG'
}

/** A zk function's `output` failed on proven public signals (a bug in the declaration, not the request). */
export class ZkOutputError extends NexusError {
  override name = 'ZkOutputError'
  override code = 'NEXUS_ZK_OUTPUT_FAILED'
}
