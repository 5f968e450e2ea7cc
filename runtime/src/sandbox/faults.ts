/**
 * A deterministic failure raised by a host import (limit exceeded, fuel exhausted). It aborts the
 * invocation the same way on every replica; `status` is the protocol status it maps to.
 */
export class GuestFault extends Error {
  override name = 'GuestFault'
  constructor(
    message: string,
    readonly status: 1 | 2 | 3 = 1,
  ) {
    super(message)
  }
}
