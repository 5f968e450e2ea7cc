// Which trigger kinds an invocation of a function may carry. `http` (every function's invoke URL)
// and `inbox` (an on-chain inbox the gateway operator maps to a function) are entry points the
// gateway offers every function; `event`, `block`, `route` and `cron` exist only where the
// function's manifest declares them (protocol/src/triggers/spec.ts). Anything else is refused,
// so an execute cannot present a function as run by a trigger it never had.
import { manifestTriggers } from '@nexus/protocol'
import { TriggerNotDeclaredError } from './errors.ts'

const OPEN_TO_EVERY_FUNCTION = new Set(['http', 'inbox'])
const DECLARED_IN_MANIFEST = new Set(['event', 'block', 'route', 'cron'])

/** Throws TriggerNotDeclaredError unless `trigger` may invoke a function with this manifest. */
export function checkTrigger(functionId: string, trigger: string, manifest: Record<string, unknown>): void {
  if (OPEN_TO_EVERY_FUNCTION.has(trigger)) return
  if (DECLARED_IN_MANIFEST.has(trigger) && manifestTriggers(manifest).some((t) => t.kind === trigger)) return
  throw new TriggerNotDeclaredError(`Function ${functionId} has no ${JSON.stringify(trigger)} trigger in its manifest.`)
}
