// Parsing a manifest someone sent us (a deploy): every field a replica relies on is present, of
// the right type and in range, before anything is stored. A manifest that passes here can be
// compiled and run by every replica; one that does not is refused with an error naming the field,
// instead of being accepted and then never running (a lane pending forever).
import { NexusError, type NexusErrorParameters } from '@nexus/protocol'
import { defaultLimits, type Limits } from '../sandbox/limits.ts'
import type { Manifest } from './artifact.ts'
import { METER_VERSION } from './meter.ts'
import { witWorld } from '@nexus/protocol/wit'

/** A manifest field is missing, of the wrong type or out of range. `field` is its path, e.g. `manifest.limits.fuel`. */
export class InvalidManifestError extends NexusError {
  override name = 'InvalidManifestError'
  override code = 'INVALID_ARTIFACT'
  override status = 400
  readonly field: string
  constructor(field: string, message: string, parameters?: NexusErrorParameters) {
    super(`${field}: ${message}`, parameters)
    this.field = field
    this.httpFields = { field }
  }
}

export const FUNCTION_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/
const CODE_HASH = /^0x[0-9a-f]{64}$/

/**
 * Inclusive ranges of every limit. The lower bounds keep a function runnable at all (0 fuel or 0
 * memory pages can never answer); the upper bounds keep one function from claiming a replica
 * (memory: 1 GiB of the 4 GiB wasm32 allows; fuel: 40× the default).
 */
export const LIMIT_RANGES: Record<string, { min: number; max: number; required: boolean }> = {
  fuel: { min: 1, max: 2_000_000_000, required: true },
  memoryPages: { min: 1, max: 16_384, required: true },
  maxValueBytes: { min: 1, max: 32 << 20, required: true },
  maxFileBytes: { min: 1, max: 256 << 20, required: true },
  maxKeyBytes: { min: 1, max: 4096, required: true },
  maxOutputBytes: { min: 1, max: 16 << 20, required: true },
  // Per-invocation write caps (docs/runtime.md); absent means the runtime's default.
  maxWriteKeys: { min: 1, max: 1_000_000, required: false },
  maxWriteBytes: { min: 1, max: 1 << 30, required: false },
}

/** A limit this file does not list but the runtime has a default for (added later): any positive safe integer. */
const OTHER_LIMIT = { min: 1, max: Number.MAX_SAFE_INTEGER, required: false }

const TRIGGER_KINDS = new Set(['event', 'block', 'route', 'cron'])

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function parseLimits(value: unknown): Limits {
  if (!isObject(value)) throw new InvalidManifestError('manifest.limits', `expected an object with ${requiredLimits().join(', ')}.`)
  const limits: Record<string, number> = {}
  for (const [key, v] of Object.entries(value)) {
    const range = LIMIT_RANGES[key] ?? (Object.hasOwn(defaultLimits, key) ? OTHER_LIMIT : undefined)
    if (!range) throw new InvalidManifestError(`manifest.limits.${key}`, `unknown limit; known limits: ${Object.keys(LIMIT_RANGES).join(', ')}.`)
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < range.min || v > range.max)
      throw new InvalidManifestError(`manifest.limits.${key}`, `expected an integer in ${range.min}..${range.max}, got ${JSON.stringify(v) ?? String(v)}.`)
    limits[key] = v
  }
  for (const key of requiredLimits()) if (!(key in limits)) throw new InvalidManifestError(`manifest.limits.${key}`, 'missing (every limit changes results, so the manifest must state it).')
  return limits as Limits
}

const requiredLimits = () => Object.entries(LIMIT_RANGES).filter(([, r]) => r.required).map(([k]) => k)

function checkTriggers(value: unknown): void {
  if (value === undefined) return
  if (!Array.isArray(value)) throw new InvalidManifestError('manifest.triggers', 'expected an array.')
  value.forEach((t, i) => {
    if (!isObject(t) || typeof t.kind !== 'string' || !TRIGGER_KINDS.has(t.kind))
      throw new InvalidManifestError(`manifest.triggers[${i}].kind`, `expected one of ${[...TRIGGER_KINDS].join(', ')}.`)
    if (t.kind === 'route' && (typeof t.method !== 'string' || typeof t.path !== 'string' || !t.path.startsWith('/')))
      throw new InvalidManifestError(`manifest.triggers[${i}]`, 'a route trigger needs a method and a path starting with "/".')
    if (t.kind === 'cron' && typeof t.schedule !== 'string') throw new InvalidManifestError(`manifest.triggers[${i}].schedule`, 'expected a cron expression.')
  })
}

/**
 * Checks a deployed manifest and returns it typed. Fields other than those checked here travel
 * unchanged (they are part of the artifact's identity, see `sameManifest`).
 * @example parseManifest(JSON.parse(body).manifest) // throws InvalidManifestError('manifest.limits.fuel', …)
 */
export function parseManifest(value: unknown): Manifest & Record<string, unknown> {
  if (!isObject(value)) throw new InvalidManifestError('manifest', 'expected an object.')
  if (typeof value.name !== 'string' || !FUNCTION_ID.test(value.name))
    throw new InvalidManifestError('manifest.name', 'expected 1-63 characters of [a-z0-9_-], starting with a letter or digit.')
  if (typeof value.codeHash !== 'string' || !CODE_HASH.test(value.codeHash.toLowerCase()))
    throw new InvalidManifestError('manifest.codeHash', 'expected 0x-prefixed sha256 hex.')
  if (value.world !== witWorld) throw new InvalidManifestError('manifest.world', `expected "${witWorld}", got ${JSON.stringify(value.world) ?? 'nothing'}.`)
  if (value.meter !== METER_VERSION) throw new InvalidManifestError('manifest.meter', `expected "${METER_VERSION}" (the replicas' metering scheme), got ${JSON.stringify(value.meter) ?? 'nothing'}.`)
  const limits = parseLimits(value.limits)
  checkTriggers(value.triggers)
  return { ...value, name: value.name, codeHash: value.codeHash.toLowerCase(), world: witWorld, meter: METER_VERSION, limits }
}

/** Canonical JSON (keys sorted at every level): jsonb does not keep key order, so compare this. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (isObject(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`
  return JSON.stringify(value) ?? 'null'
}

/**
 * Whether two manifests describe the same artifact. `name` is left out: one code hash may serve
 * several function ids (each deploy names its own), while limits, triggers, world and meter are
 * properties of the code and must agree.
 */
export function sameManifest(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const { name: _a, ...restA } = a
  const { name: _b, ...restB } = b
  return canonical(restA) === canonical(restB)
}
