// The one error of a networked DKG ceremony: what went wrong, said to the operator who ran it.
import { NexusError } from '@nexus/protocol'

/** A ceremony could not run or finish: no NATS, no coordinator, a phase timed out, a participant was shut out. */
export class DkgCeremonyError extends NexusError {
  override name = 'DkgCeremonyError'
  override code = 'NEXUS_DKG_CEREMONY'
}
