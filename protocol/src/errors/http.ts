// The one HTTP face of every error, shared by the gateway API (its zk and function routes too) and
// the replica API: one status mapping, one JSON shape `{ error: { code, message, ...httpFields } }`.
// A NexusError says its own status (unset: 500); an HTTPException (Hono's, or anything else that
// carries its own HTTP answer) keeps its status; anything else is a bug on our side and answers
// 500 INTERNAL "Internal error.", its message and stack going only to the log: they can carry SQL,
// paths or secrets no caller should read. Web standards only (Response), so Hono takes
// errorBoundary() as its onError and a plain node:http handler can use errorAnswer().
import { NexusError } from './base.ts'

/** The body of every error answer. `code` is stable; extra fields are per code (e.g. `field`, `expected`). */
export type ErrorBody = { error: { code: string; message: string } & Record<string, string> }

/** Everything an HTTP error answer needs: status, body and extra headers. */
export type ErrorAnswer = { status: number; body: ErrorBody; headers: Record<string, string> }

/** Hono's HTTPException and its kin: an Error that carries its own HTTP status. */
type HttpResponseError = Error & { status: number; getResponse(): Response }

const isHttpResponseError = (err: unknown): err is HttpResponseError =>
  err instanceof Error &&
  typeof (err as Partial<HttpResponseError>).status === 'number' &&
  typeof (err as Partial<HttpResponseError>).getResponse === 'function'

/** A status an error may answer with: 4xx or 5xx; anything else (unset, 2xx) is a bug, so 500. */
const asErrorStatus = (status: number | undefined) => (status !== undefined && Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500)

/** Whether `err` is one we did not expect: it answers INTERNAL and belongs in the log. */
export const isInternalError = (err: unknown) => !(err instanceof NexusError) && !isHttpResponseError(err)

/** The HTTP status `err` answers with. @example errorStatus(new UnknownFunctionError('…')) // 404 */
export function errorStatus(err: unknown): number {
  if (err instanceof NexusError || isHttpResponseError(err)) return asErrorStatus(err.status)
  return 500
}

/** The JSON body `err` answers with: `{ error: { code, message, ...httpFields } }`. */
export function errorBody(err: unknown): ErrorBody {
  if (err instanceof NexusError) {
    const error = { code: err.code, message: err.shortMessage, ...err.httpFields }
    // A subclass's fields never replace the two every client reads.
    error.code = err.code
    error.message = err.shortMessage
    return { error }
  }
  if (isHttpResponseError(err)) {
    const status = asErrorStatus(err.status)
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : 'HTTP_ERROR'
    return { error: { code, message: err.message || (status === 413 ? 'Request body too large.' : `HTTP ${status}.`) } }
  }
  return { error: { code: 'INTERNAL', message: 'Internal error.' } }
}

/** Status, body and headers (e.g. `Allow` on 405) of the answer to `err`. */
export function errorAnswer(err: unknown): ErrorAnswer {
  const headers = err instanceof NexusError && err.httpHeaders ? { ...err.httpHeaders } : {}
  return { status: errorStatus(err), body: errorBody(err), headers }
}

/** The Response that answers `err`. */
export function errorResponse(err: unknown): Response {
  const { status, body, headers } = errorAnswer(err)
  return new Response(JSON.stringify(body), { status, headers: { ...headers, 'content-type': 'application/json' } })
}

export type ErrorBoundaryOptions = {
  /** Where an unexpected error (answered as INTERNAL) is reported. Default: console.error. */
  log?: (err: unknown) => void
}

/**
 * The onError of every Nexus HTTP app: one status mapping and one JSON error shape.
 * @example app.onError(errorBoundary())
 */
export function errorBoundary(options: ErrorBoundaryOptions = {}): (err: unknown) => Response {
  const log = options.log ?? ((err: unknown) => console.error(err))
  return (err) => {
    if (isInternalError(err)) log(err)
    return errorResponse(err)
  }
}
