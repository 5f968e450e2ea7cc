// Gateway errors: each has a stable `code` (served as `{ error: { code, message } }`) and the
// HTTP status it maps to at the API boundary (framework/src/errors/http.ts).
import { NexusError, type NexusErrorParameters } from '@nexus/protocol'

export class GatewayError extends NexusError {
  override name = 'GatewayError'
  override code = 'NEXUS_GATEWAY_ERROR'
  override status = 500
}

function define(name: string, code: string, status: number) {
  return class extends GatewayError {
    override name = name
    override code = code
    override status = status
    constructor(message: string, parameters?: NexusErrorParameters) {
      super(message, parameters)
    }
  }
}

export const MalformedJsonError = define('MalformedJsonError', 'MALFORMED_JSON', 400)
export const InvalidRequestError = define('InvalidRequestError', 'INVALID_REQUEST', 400)
export const InvalidArtifactError = define('InvalidArtifactError', 'INVALID_ARTIFACT', 400)
export const UnauthorizedError = define('UnauthorizedError', 'UNAUTHORIZED', 401)
export const NotFoundError = define('NotFoundError', 'NOT_FOUND', 404)
export const UnknownFunctionError = define('UnknownFunctionError', 'UNKNOWN_FUNCTION', 404)
export const UnknownResultError = define('UnknownResultError', 'UNKNOWN_RESULT', 404)
export const ForbiddenError = define('ForbiddenError', 'FORBIDDEN', 403)
export const ArtifactConflictError = define('ArtifactConflictError', 'ARTIFACT_CONFLICT', 409)
export const IdempotencyConflictError = define('IdempotencyConflictError', 'IDEMPOTENCY_CONFLICT', 409)
export const PayloadTooLargeError = define('PayloadTooLargeError', 'PAYLOAD_TOO_LARGE', 413)
export const UnsupportedMediaTypeError = define('UnsupportedMediaTypeError', 'UNSUPPORTED_MEDIA_TYPE', 415)
export const NotReadyError = define('NotReadyError', 'NOT_READY', 503)
export const ShuttingDownError = define('ShuttingDownError', 'SHUTTING_DOWN', 503)

/** A known route asked with a method it does not serve; `allow` becomes the `Allow` header. */
export class MethodNotAllowedError extends GatewayError {
  override name = 'MethodNotAllowedError'
  override code = 'METHOD_NOT_ALLOWED'
  override status = 405
  readonly allow: string[]
  constructor(message: string, allow: string[], parameters?: NexusErrorParameters) {
    super(message, parameters)
    this.allow = allow
    this.httpHeaders = { Allow: allow.join(', ') }
  }
}

/** Something only a gateway that sends replicas their invocations can do, asked of a cluster-mode gateway. */
export const UnavailableInClusterModeError = define('UnavailableInClusterModeError', 'UNAVAILABLE_IN_CLUSTER_MODE', 409)
