// Run a zk function: request → (pure, validated) circuit inputs → one prover (with fallback) →
// verified proof → result JSON. Failures become error results, never crashes.
import { NexusError } from '@nexus/protocol'
import { ZK_PROTOCOL, ZkInputError, ZkProverError, type CircuitInputs, type ZkErrorResult, type ZkFunction, type ZkResult } from '@nexus/protocol/zk'
import type { BuiltCircuit } from './build/build-circuit.ts'
import type { ProverPool, ProverProgress } from './prover/pool.ts'

export type ZkExecutor = {
  invoke<TOutput>(
    fn: ZkFunction<unknown, TOutput>,
    request: unknown,
    options?: { timeoutMs?: number; onProgress?: (e: ProverProgress) => void },
  ): Promise<ZkResult<TOutput> | ZkErrorResult>
}

export type CreateZkExecutorParameters = {
  pool: ProverPool
  circuits: Record<string, BuiltCircuit>
  /**
   * Request → validated circuit inputs. Default: `fn.mapInputs(request)` in this process. The gateway
   * passes one that runs the mapping in the deterministic runtime's sandbox (gateway/src/zk).
   * Throw `ZkInputError` for a request that cannot be mapped.
   */
  mapInputs?: (fn: ZkFunction<unknown, unknown>, request: unknown) => CircuitInputs | Promise<CircuitInputs>
  /** Proven public signals → output. Default: `fn.decodeOutput(publicSignals)` in this process. */
  decodeOutput?: (fn: ZkFunction<unknown, unknown>, publicSignals: readonly string[]) => unknown
}

/** An executor over built circuits (by id) and a prover pool. */
export function createZkExecutor(parameters: CreateZkExecutorParameters): ZkExecutor {
  const mapInputs = parameters.mapInputs ?? ((fn, request) => fn.mapInputs(request))
  const decodeOutput = parameters.decodeOutput ?? ((fn, publicSignals) => fn.decodeOutput(publicSignals))
  return {
    async invoke(fn, request, options = {}) {
      const errorResult = (err: unknown): ZkErrorResult => {
        const e = err instanceof NexusError ? err : new ZkProverError('The zk invocation failed.', { cause: err })
        return { protocol: ZK_PROTOCOL, kind: 'zk', status: 'error', circuitId: fn.circuit, error: { code: e.code, name: e.name, message: e.message } }
      }
      try {
        const circuit = parameters.circuits[fn.circuit]
        if (!circuit) throw new ZkInputError(`Circuit "${fn.circuit}" is not built on this gateway.`)
        const inputs = await mapInputs(fn, request)
        const proved = await parameters.pool.prove({ circuit, inputs, ...options })
        return {
          protocol: ZK_PROTOCOL,
          kind: 'zk',
          circuitId: circuit.id,
          verificationKeyHash: circuit.verificationKeyHash,
          proof: proved.proof,
          publicSignals: proved.publicSignals,
          output: (await decodeOutput(fn, proved.publicSignals)) as never,
        }
      } catch (err) {
        return errorResult(err)
      }
    },
  }
}

/** True when `r` is an error result. */
export function isZkErrorResult(r: ZkResult | ZkErrorResult): r is ZkErrorResult {
  return (r as ZkErrorResult).status === 'error'
}
