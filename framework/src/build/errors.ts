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

/** One error of the TypeScript checker, in a file of the project. */
export type TypeDiagnostic = {
  /** Relative to the project root, `/`-separated. */
  file: string
  /** 1-based. */
  line: number
  /** 1-based. */
  column: number
  /** TypeScript's error code (`2339` for "Property … does not exist"). */
  code: number
  message: string
}

/** `handlers/hello.ts:12:5: error TS2339: Property 'gett' does not exist …` */
export const formatDiagnostic = (d: TypeDiagnostic) => `${d.file}:${d.line}:${d.column}: error TS${d.code}: ${d.message}`

/** The TypeScript checker found errors in the project's handler files or config (`typecheck: false` skips it). */
export class TypeCheckError extends NexusError {
  override name = 'TypeCheckError'
  override code = 'NEXUS_TYPE_ERRORS'
  readonly diagnostics: TypeDiagnostic[]
  constructor(diagnostics: TypeDiagnostic[], parameters: NexusErrorParameters = {}) {
    const shown = diagnostics.slice(0, 50).map(formatDiagnostic)
    if (diagnostics.length > shown.length) shown.push(`… and ${diagnostics.length - shown.length} more`)
    super(`${diagnostics.length} type error(s); fix them, or build with --no-typecheck:\n${shown.join('\n')}`, parameters)
    this.diagnostics = diagnostics
  }
}

/** `typecheck` is on but the project cannot load the `typescript` package. */
export class TypeScriptMissingError extends NexusError {
  override name = 'TypeScriptMissingError'
  override code = 'NEXUS_TYPESCRIPT_MISSING'
}
