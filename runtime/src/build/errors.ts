import { NexusError } from '@nexus/protocol'

export class BuildError extends NexusError {
  override name = 'BuildError'
  override code = 'BUILD_FAILED'
}

export class InvalidArtifactError extends NexusError {
  override name = 'InvalidArtifactError'
  override code = 'INVALID_ARTIFACT'
  override status = 400
}
