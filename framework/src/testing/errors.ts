// Errors of the test harness (`@nexus/framework/testing`): each says what the test asked for that the
// project does not have, and what it does have.
import { NexusError } from '@nexus/protocol'

/** A request, event, block or tick that no function of the project is triggered by. */
export class NoMatchingFunctionError extends NexusError {
  override name = 'NoMatchingFunctionError'
  override code = 'NEXUS_TEST_NO_FUNCTION'
}

/** A request several functions could answer: the test must pick one with `{ function: id }`. */
export class AmbiguousFunctionError extends NexusError {
  override name = 'AmbiguousFunctionError'
  override code = 'NEXUS_TEST_AMBIGUOUS'
}

/** An option the harness cannot use (a bad time, a contract the config does not name, …). */
export class TestRuntimeOptionError extends NexusError {
  override name = 'TestRuntimeOptionError'
  override code = 'NEXUS_TEST_OPTION'
}
