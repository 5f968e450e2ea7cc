// The one error base of Nexus (modelled on viem's BaseError): a short message a user reads
// first, then optional details and hints; every subclass has a fixed `name` and `code`. An error
// a client can cause also says how it answers over HTTP (`status`, `httpFields`, `httpHeaders`):
// errors/http.ts turns any thrown value into the one JSON error answer of every Nexus API.

export type NexusErrorParameters = {
  cause?: unknown
  details?: string
  metaMessages?: string[]
  docsPath?: string
}

export class NexusError extends Error {
  override name = 'NexusError'
  /** Stable machine-readable code (used in HTTP error bodies and CLI exit reasons). */
  code = 'NEXUS_ERROR'
  readonly shortMessage: string
  readonly details?: string
  readonly docsPath?: string
  // `declare`: no own property unless a subclass sets one, so inspecting an error shows no noise.
  /** HTTP status at an API boundary (errors/http.ts). Unset: 500. */
  declare status?: number
  /** Fields of the HTTP error body beside `code` and `message`, e.g. `{ field }`: only what any caller may see. */
  declare httpFields?: Record<string, string>
  /** Headers of the HTTP error answer, e.g. `Allow` on a 405. */
  declare httpHeaders?: Record<string, string>

  constructor(shortMessage: string, parameters: NexusErrorParameters = {}) {
    const cause = parameters.cause
    const details = parameters.details ?? (cause instanceof Error ? cause.message : cause === undefined ? undefined : String(cause))
    const lines = [shortMessage]
    if (parameters.metaMessages?.length) lines.push('', ...parameters.metaMessages)
    if (details && details !== shortMessage) lines.push('', `Details: ${details}`)
    if (parameters.docsPath) lines.push(`Docs: ${parameters.docsPath}`)
    super(lines.join('\n'), cause === undefined ? undefined : { cause: toError(cause) })
    this.shortMessage = shortMessage
    this.details = details
    this.docsPath = parameters.docsPath
  }
}

/** Never let a non-Error travel: wrap thrown strings, numbers and objects. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value
  return new Error(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)))
}
