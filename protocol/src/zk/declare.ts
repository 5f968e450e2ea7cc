// The author-facing `zk(...)` declaration: a zk function names its circuit, maps a request to circuit
// inputs with a pure function (run in the deterministic runtime), and decodes the proven public
// signals into its output.
import { ZkInputError } from './errors.ts'
import { validateCircuitInputs, type CircuitInputs, type CircuitValue, type SignalSpecs } from './inputs.ts'

/** Default output: each named public signal as a decimal string. */
export type DefaultZkOutput<TNames extends readonly string[]> = { [K in TNames[number]]: string }

export type ZkConfig<TRequest, TNames extends readonly string[], TOutput> = {
  /** Circuit id, as registered with the circuits build (e.g. `merkle3`). */
  circuit: string
  /** Every input signal of the circuit's main component (private and public) and its type. */
  signals: SignalSpecs
  /** Names of the circuit's public signals in snarkjs order: outputs first, then public inputs. */
  publicSignals: TNames
  /**
   * Pure mapping from the request to circuit inputs. No I/O, no clock, no randomness: it runs in the
   * deterministic runtime. Throwing turns into a `NEXUS_ZK_INVALID_INPUT` error result.
   */
  inputs: (request: TRequest) => Record<string, CircuitValue>
  /** Turns the proven public signals into the result's `output`. Default: `{ name: decimal }`. */
  output?: (signals: { [K in TNames[number]]: bigint }) => TOutput
  description?: string
}

export type ZkFunction<TRequest = unknown, TOutput = unknown> = {
  kind: 'zk'
  circuit: string
  description?: string
  signals: SignalSpecs
  publicSignals: readonly string[]
  /** Request → validated, normalised circuit inputs; throws `ZkInputError`. */
  mapInputs(request: TRequest): CircuitInputs
  /** Proven public signals (decimal strings) → output; throws `ZkInputError` on a count mismatch. */
  decodeOutput(publicSignals: readonly string[]): TOutput
}

/**
 * Declare a zk function.
 * @example
 * export const member = zk({
 *   circuit: 'merkle3',
 *   signals: { secret: 'field', pathElements: { type: 'field', length: 3 }, pathIndices: { type: 'bit', length: 3 }, root: 'field', scope: 'field' },
 *   publicSignals: ['nullifier', 'root', 'scope'] as const,
 *   inputs: (req: { secret: string; path: string[]; index: number[]; root: string; scope: string }) => ({ ... }),
 * })
 */
export function zk<TRequest, const TNames extends readonly string[], TOutput = DefaultZkOutput<TNames>>(
  config: ZkConfig<TRequest, TNames, TOutput>,
): ZkFunction<TRequest, TOutput> {
  const { circuit, signals, publicSignals, description } = config
  if (new Set(publicSignals).size !== publicSignals.length) {
    throw new ZkInputError(`zk function for circuit "${circuit}" names a public signal twice.`)
  }
  return {
    kind: 'zk',
    circuit,
    description,
    signals,
    publicSignals,
    mapInputs(request) {
      let mapped: unknown
      try {
        mapped = config.inputs(request)
      } catch (err) {
        if (err instanceof ZkInputError) throw err
        throw new ZkInputError('The request could not be mapped to circuit inputs.', { cause: err })
      }
      return validateCircuitInputs(signals, mapped)
    },
    decodeOutput(values) {
      if (values.length !== publicSignals.length) {
        throw new ZkInputError(`Circuit "${circuit}" produced ${values.length} public signals, the declaration names ${publicSignals.length}.`)
      }
      const named = Object.fromEntries(publicSignals.map((name, i) => [name, BigInt(values[i] as string)]))
      if (config.output) return config.output(named as { [K in TNames[number]]: bigint })
      return Object.fromEntries(publicSignals.map((name, i) => [name, values[i]])) as TOutput
    },
  }
}

/** True for values produced by `zk(...)` (how a handler loader finds zk exports). */
export function isZkFunction(value: unknown): value is ZkFunction {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'zk' &&
    typeof (value as { mapInputs?: unknown }).mapInputs === 'function'
  )
}
