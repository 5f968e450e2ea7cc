// Parsing a manifest someone sent us (a deploy) against this runtime: the check itself is the
// protocol's (protocol/src/manifest.ts); the runtime adds what only it knows, its metering scheme
// and the limits it has defaults for.
import { checkManifest, type Manifest } from '@nexus/protocol'
import { defaultLimits } from '../sandbox/limits.ts'
import { METER_VERSION } from './meter-version.ts'

export { FUNCTION_ID, InvalidManifestError, LIMIT_RANGES, sameManifest } from '@nexus/protocol'

const expectations = { meter: METER_VERSION, limitNames: Object.keys(defaultLimits) }

/**
 * Checks a deployed manifest and returns it typed. Fields other than those checked travel
 * unchanged (they are part of the artifact's identity, see `sameManifest`).
 * @example parseManifest(JSON.parse(body).manifest) // throws InvalidManifestError('manifest.limits.fuel', …)
 */
export function parseManifest(value: unknown): Manifest & Record<string, unknown> {
  return checkManifest(value, expectations)
}
