import { NexusError } from './base.ts'

/** A request that cannot be read (malformed JSON, a missing or invalid field): nothing is done. */
export class BadRequestError extends NexusError {
  override name = 'BadRequestError'
  override code = 'BAD_REQUEST'
  override status = 400
}
