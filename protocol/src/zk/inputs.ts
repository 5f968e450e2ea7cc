// Validation of circuit inputs against a declared signal spec. Runs before any witness is computed,
// so a bad request becomes a typed error naming the signal instead of a witness-calculator crash.
import { ZkInputError } from './errors.ts'
import { BN254_R } from './constants.ts'

/** `field`: any element of the BN254 scalar field; `bit`: 0 or 1; `byte`: 0..255; `uint<N>`: < 2^N. */
export type SignalType = 'field' | 'bit' | 'byte' | `uint${number}`

/** One circuit input signal: a scalar, or an array when `length` is set. */
export type SignalSpec = SignalType | { type: SignalType; length: number }

export type SignalSpecs = Record<string, SignalSpec>

/** What a request mapping may return per signal: integers as bigint, safe number, decimal or 0x hex. */
export type CircuitValue = bigint | number | string | readonly CircuitValue[]

/** Normalised circuit inputs: decimal strings (what snarkjs and the witness calculator take). */
export type CircuitInputs = Record<string, string | string[]>

function upperBound(type: SignalType): bigint {
  if (type === 'field') return BN254_R
  if (type === 'bit') return 2n
  if (type === 'byte') return 256n
  const bits = Number(type.slice(4))
  if (!Number.isInteger(bits) || bits < 1 || bits > 253) throw new ZkInputError(`Unknown signal type "${type}".`)
  return 1n << BigInt(bits)
}

function toInteger(value: unknown): bigint | string {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? BigInt(value) : `${value} is not a safe integer (pass a bigint or string)`
  }
  if (typeof value === 'string') {
    if (/^[0-9]+$/.test(value) || /^0x[0-9a-fA-F]+$/.test(value)) return BigInt(value)
    return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}" is not a decimal or 0x-hex integer`
  }
  return `expected an integer, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`
}

/** Check `inputs` against `specs` and normalise them; throws one `ZkInputError` listing every problem. */
export function validateCircuitInputs(specs: SignalSpecs, inputs: unknown): CircuitInputs {
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
    throw new ZkInputError('Circuit inputs must be an object of signal name → value.')
  }
  const problems: string[] = []
  const out: CircuitInputs = {}
  const given = inputs as Record<string, unknown>
  for (const name of Object.keys(given)) {
    if (!(name in specs)) problems.push(`${name}: not an input signal of this circuit`)
  }
  for (const [name, spec] of Object.entries(specs)) {
    const { type, length } = typeof spec === 'string' ? { type: spec, length: undefined } : spec
    const bound = upperBound(type)
    const check = (value: unknown, label: string): string | undefined => {
      const n = toInteger(value)
      if (typeof n === 'string') return void problems.push(`${label}: ${n}`)
      if (n < 0n) return void problems.push(`${label}: negative values are not allowed`)
      if (n >= bound) return void problems.push(`${label}: ${n} is out of range for ${type}`)
      return n.toString()
    }
    const value = given[name]
    if (value === undefined) {
      problems.push(`${name}: missing`)
      continue
    }
    if (length === undefined) {
      const v = check(value, name)
      if (v !== undefined) out[name] = v
      continue
    }
    if (!Array.isArray(value)) {
      problems.push(`${name}: expected an array of ${length} × ${type}`)
      continue
    }
    if (value.length !== length) {
      problems.push(`${name}: expected ${length} elements, got ${value.length}`)
      continue
    }
    const values = value.map((v, i) => check(v, `${name}[${i}]`))
    if (values.every((v) => v !== undefined)) out[name] = values as string[]
  }
  if (problems.length) {
    throw new ZkInputError('Invalid circuit inputs.', { metaMessages: problems.map((p) => `- ${p}`) })
  }
  return out
}
