// Errors of the replica API, each with the HTTP status it answers with (framework/src/errors/http.ts).
import { NexusError } from '@nexus/protocol'

/** The replica has not applied the invocations before this one; the sender must resend from `expected`. */
export class SeqGapError extends NexusError {
  override name = 'SeqGapError'
  override code = 'SEQ_GAP'
  override status = 409
  constructor(
    readonly functionId: string,
    readonly expected: bigint,
    got: bigint,
  ) {
    super(`Function ${functionId} expects seq ${expected} next, got ${got}.`)
    this.httpFields = { expected: expected.toString() }
  }
}

export class UnknownCodeError extends NexusError {
  override name = 'UnknownCodeError'
  override code = 'UNKNOWN_CODE'
  override status = 404
  constructor(readonly codeHash: string) {
    super(`No artifact with code hash ${codeHash} is deployed on this replica.`)
  }
}

/** A re-sent seq whose recorded input or code differs from the request: the sender is inconsistent. */
export class SeqMismatchError extends NexusError {
  override name = 'SeqMismatchError'
  override code = 'SEQ_MISMATCH'
  override status = 409
}

/** The execute's code hash is not the version deployed for that function at that seq (or none is). */
export class CodeNotBoundError extends NexusError {
  override name = 'CodeNotBoundError'
  override code = 'CODE_NOT_BOUND'
  override status = 409
  constructor(
    readonly functionId: string,
    readonly seq: bigint,
    codeHash: string,
    readonly active: string | undefined,
  ) {
    super(
      active === undefined
        ? `No version of ${functionId} is deployed on this replica for seq ${seq}.`
        : `Seq ${seq} of ${functionId} runs ${active}, not ${codeHash}.`,
    )
  }
}

/** A version push that would change which code ran an already applied seq: history is not rewritten. */
export class VersionConflictError extends NexusError {
  override name = 'VersionConflictError'
  override code = 'VERSION_CONFLICT'
  override status = 409
}

/** The invocation's trigger kind is not one its function's manifest declares. */
export class TriggerNotDeclaredError extends NexusError {
  override name = 'TriggerNotDeclaredError'
  override code = 'TRIGGER_NOT_DECLARED'
  override status = 422
}

// A request the replica cannot read: the wire parses (in @nexus/protocol) throw it.
export { BadRequestError } from '@nexus/protocol'

/** No route of the replica API matches the request's method and path. */
export class RouteNotFoundError extends NexusError {
  override name = 'RouteNotFoundError'
  override code = 'NOT_FOUND'
  override status = 404
}

/** A request body over the route's limit: nothing is read past it, nothing is done. */
export class PayloadTooLargeError extends NexusError {
  override name = 'PayloadTooLargeError'
  override code = 'PAYLOAD_TOO_LARGE'
  override status = 413
}
