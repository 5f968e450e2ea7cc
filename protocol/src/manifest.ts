// The manifest a function is deployed with: its type and the pure check of a manifest someone sent
// (a deploy). Every field a replica relies on must be present, of the right type and in range
// before anything is stored: a manifest that passes can be compiled and run by every replica; one
// that does not is refused with an error naming the field, instead of being accepted and then
// never running (a lane pending forever). What only the runtime knows (its metering scheme, the
// limits it has defaults for) is passed in by `@nexus/runtime/build`'s `parseManifest`.
import { NexusError, type NexusErrorParameters } from './errors/base.ts'
import { witWorld } from './wit-world.ts'

/** Per-invocation limits. Every number here changes results, so it is part of the function's manifest. */
export type Limits = {
  /** Fuel units: one per function entry or loop iteration, plus bulk-memory, host-call and storage charges (runtime fuel-schedule.ts). Default: 50_000_000. */
  fuel: number
  /** Linear memory cap in 64 KiB pages. Default: 2048 (128 MiB). */
  memoryPages: number
  /** Largest KV value. Default: 1 MiB. */
  maxValueBytes: number
  /** Largest file. Default: 16 MiB. */
  maxFileBytes: number
  /** Largest key or path, in UTF-8 bytes. Default: 1024. */
  maxKeyBytes: number
  /** Largest output. Default: 4 MiB. */
  maxOutputBytes: number
  /** Most distinct KV keys and file paths one invocation may write (set, delete, create, change). Default: 256. */
  maxWriteKeys: number
  /** Most bytes one invocation may write: every KV key and value set, every byte written to a file and, once per file changed, its size before the change (the commit stores the whole file), summed. Default: 32 MiB. */
  maxWriteBytes: number
}

/** Everything a replica needs besides the component bytes. */
export type Manifest = {
  name: string
  /** 0x-prefixed sha256 of the component bytes: the function's identity in every signed result. */
  codeHash: string
  world: string
  meter: string
  limits: Limits
}

/** A function id (and manifest name): what the gateway's URLs and the v2 digest carry. */
export const FUNCTION_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/
const CODE_HASH = /^0x[0-9a-f]{64}$/

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

/** A limit LIMIT_RANGES does not list but the runtime has a default for (added later): any positive safe integer. */
const OTHER_LIMIT = { min: 1, max: Number.MAX_SAFE_INTEGER, required: false }

const TRIGGER_KINDS = new Set(['event', 'block', 'route', 'cron'])

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** What the replicas that will run the manifest expect: their metering scheme and the limits they know. */
export type ManifestExpectations = {
  /** The replicas' metering scheme (the runtime's METER_VERSION). */
  meter: string
  /** Every limit the runtime has a default for. */
  limitNames: readonly string[]
}

const requiredLimits = () =>
  Object.entries(LIMIT_RANGES)
    .filter(([, r]) => r.required)
    .map(([k]) => k)

function parseLimits(value: unknown, limitNames: readonly string[]): Limits {
  if (!isObject(value)) throw new InvalidManifestError('manifest.limits', `expected an object with ${requiredLimits().join(', ')}.`)
  const limits: Record<string, number> = {}
  for (const [key, v] of Object.entries(value)) {
    const range = LIMIT_RANGES[key] ?? (limitNames.includes(key) ? OTHER_LIMIT : undefined)
    if (!range) throw new InvalidManifestError(`manifest.limits.${key}`, `unknown limit; known limits: ${Object.keys(LIMIT_RANGES).join(', ')}.`)
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < range.min || v > range.max)
      throw new InvalidManifestError(`manifest.limits.${key}`, `expected an integer in ${range.min}..${range.max}, got ${JSON.stringify(v) ?? String(v)}.`)
    limits[key] = v
  }
  for (const key of requiredLimits())
    if (!(key in limits)) throw new InvalidManifestError(`manifest.limits.${key}`, 'missing (every limit changes results, so the manifest must state it).')
  return limits as Limits
}

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
 * Checks a deployed manifest against what the replicas expect and returns it typed. Fields other
 * than those checked here travel unchanged (they are part of the artifact's identity, see `sameManifest`).
 * @example checkManifest(JSON.parse(body).manifest, { meter, limitNames }) // throws InvalidManifestError('manifest.limits.fuel', …)
 */
export function checkManifest(value: unknown, expect: ManifestExpectations): Manifest & Record<string, unknown> {
  if (!isObject(value)) throw new InvalidManifestError('manifest', 'expected an object.')
  if (typeof value.name !== 'string' || !FUNCTION_ID.test(value.name))
    throw new InvalidManifestError('manifest.name', 'expected 1-63 characters of [a-z0-9_-], starting with a letter or digit.')
  if (typeof value.codeHash !== 'string' || !CODE_HASH.test(value.codeHash.toLowerCase()))
    throw new InvalidManifestError('manifest.codeHash', 'expected 0x-prefixed sha256 hex.')
  if (value.world !== witWorld) throw new InvalidManifestError('manifest.world', `expected "${witWorld}", got ${JSON.stringify(value.world) ?? 'nothing'}.`)
  if (value.meter !== expect.meter)
    throw new InvalidManifestError(
      'manifest.meter',
      `expected "${expect.meter}" (the replicas' metering scheme), got ${JSON.stringify(value.meter) ?? 'nothing'}.`,
    )
  const limits = parseLimits(value.limits, expect.limitNames)
  checkTriggers(value.triggers)
  return { ...value, name: value.name, codeHash: value.codeHash.toLowerCase(), world: witWorld, meter: expect.meter, limits }
}

/** Canonical JSON (keys sorted at every level): jsonb does not keep key order, so compare this. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (isObject(value))
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`
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
