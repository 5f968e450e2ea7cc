// The one error of a networked DKG ceremony: what went wrong, said to the operator who ran it.
// A kind of the library's DkgError (and so a NexusError), imported from the attestation subpath
// only: a participant process loads nothing else of @nexus/protocol.
import { DkgError } from '@nexus/protocol/attest'

/** A ceremony could not run or finish: no NATS, no coordinator, a phase timed out, a participant was shut out. */
export class DkgCeremonyError extends DkgError {
  override name = 'DkgCeremonyError'
  override code = 'NEXUS_DKG_CEREMONY'
}
