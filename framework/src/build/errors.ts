// Errors of `nexus build`: every one names what to fix.
import { NexusError, type NexusErrorParameters } from '@nexus/protocol'
import type { SourceSite } from '../decorators/registry.ts'

export class ConfigLoadError extends NexusError {
  override name = 'ConfigLoadError'
  override code = 'NEXUS_CONFIG_INVALID'
}

/** A decorator that does not fit nexus.config.ts (unknown contract, event or chain; bad schedule or route). */
export class TriggerValidationError extends NexusError {
  override name = 'TriggerValidationError'
  override code = 'NEXUS_TRIGGER_INVALID'
  readonly site?: SourceSite
  constructor(message: string, site: SourceSite | undefined, parameters: NexusErrorParameters = {}) {
    super(site ? `${site.file}:${site.line}:${site.column}: ${message}` : message, parameters)
    this.site = site
  }
}

export class HandlerLoadError extends NexusError {
  override name = 'HandlerLoadError'
  override code = 'NEXUS_HANDLER_INVALID'
}
