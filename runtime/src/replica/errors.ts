import { NexusError } from '../../../framework/src/errors/base.ts'

/** The replica has not applied the invocations before this one; the sender must resend from `expected`. */
export class SeqGapError extends NexusError {
  override name = 'SeqGapError'
  override code = 'SEQ_GAP'
  constructor(readonly functionId: string, readonly expected: bigint, got: bigint) {
    super(`Function ${functionId} expects seq ${expected} next, got ${got}.`)
  }
}

export class UnknownCodeError extends NexusError {
  override name = 'UnknownCodeError'
  override code = 'UNKNOWN_CODE'
  constructor(readonly codeHash: string) {
    super(`No artifact with code hash ${codeHash} is deployed on this replica.`)
  }
}

/** A re-sent seq whose recorded input or code differs from the request: the sender is inconsistent. */
export class SeqMismatchError extends NexusError {
  override name = 'SeqMismatchError'
  override code = 'SEQ_MISMATCH'
}
