// The gateway's Nexus Zero service: reads zk declarations from handler files, builds their circuits
// (content-cached) and the handler file itself into a runtime component, and proves on a pool of
// prover processes. Author code (declarations, input mappings, output decoding) runs only in the
// runtime sandbox, never in this process. Each invocation goes to ONE prover (a proof is
// self-verifying, no quorum); the pool moves it to another prover on a crash, error, timeout or a
// proof that does not verify, and verifies every proof before it is returned, so a wrong proof is
// never served.
import { join, resolve } from 'node:path'
import type { Hono } from 'hono'
import type { SignalSpecs, ZkErrorResult, ZkFunction, ZkResult } from '@nexus/protocol/zk'
import {
  buildCircuit,
  builtinCircuits,
  createProverPool,
  createZkExecutor,
  type BuiltCircuit,
  type CircuitDefinition,
  type ProverPool,
  type ProverProgress,
} from '@nexus/circuits'
import type { Limits } from '@nexus/runtime'
import { ZkConfigError } from './errors.ts'
import { createZkGuest, type ZkGuest } from './guest.ts'
import { createZkRoutes } from './routes.ts'

export type CreateZkServiceParameters = {
  /** Handler files; every `zk(...)` export is served under its export name. */
  handlers: string[]
  /** Circuits already built (by id). Others are built from `definitions` or the shipped circuits. */
  circuits?: Record<string, BuiltCircuit>
  /** Project circuits by id (`{ id, main }`), in addition to the shipped ones. */
  definitions?: Record<string, CircuitDefinition>
  /** Root of the zk caches (circuits, guest components). Default: `.nexus` under the working directory. */
  cacheDir?: string
  /** Prover processes. Default 2. */
  provers?: number
  /** Per-attempt proving limit before the job moves to another prover. Default 120 s. */
  proverTimeoutMs?: number
  /** Fuel/memory for one input mapping. Default: the runtime's defaults. */
  limits?: Partial<Limits>
  /** Max request body, bytes. Default 1 MiB (as `/v1/functions/:id/invoke`). */
  invokeBytes?: number
  /** Progress of long proofs (witness / prove / verify stages). */
  onProgress?: (name: string, event: ProverProgress) => void
  /** Test aid: a prover pool to use instead of creating one (the service does not close it). */
  pool?: ProverPool
}

export type ZkServiceFunction = {
  name: string
  /** The declaration as the guest reports it (its code stays in the guest). */
  fn: { circuit: string; signals: SignalSpecs; publicSignals: readonly string[]; description?: string }
  circuit: BuiltCircuit
  /** Code hash of the guest component that runs this function's input mapping and output. */
  mappingCodeHash: string
}

export type ZkService = {
  /** Routes to mount under `/v1/zk` (see `createGateway({ zk })`). */
  app: Hono
  functions: ReadonlyMap<string, ZkServiceFunction>
  /** One guest component per handler file with zk exports; `cached` when it was not rebuilt. */
  guests: { handlerPath: string; codeHash: string; cached: boolean }[]
  invoke(name: string, request: unknown): Promise<ZkResult | ZkErrorResult>
  close(): Promise<void>
}

/** @example const zk = await createZkService({ handlers: ['functions/member.ts'] }); await createGateway({ ..., zk }) */
export async function createZkService(p: CreateZkServiceParameters): Promise<ZkService> {
  const cacheDir = resolve(p.cacheDir ?? '.nexus')
  const definitions: Record<string, CircuitDefinition> = { ...builtinCircuits, ...p.definitions }
  const circuits: Record<string, BuiltCircuit> = { ...p.circuits }
  const functions = new Map<string, ZkServiceFunction>()
  const guests: ZkGuest[] = []
  const guestInfo: ZkService['guests'] = []
  // The executor's ZkFunction values are stand-ins: their code runs in the guest (see mapInputs/decodeOutput below).
  const handles = new Map<ZkFunction<unknown, unknown>, { name: string; guest: ZkGuest }>()
  const byName = new Map<string, ZkFunction<unknown, unknown>>()
  let pool: ProverPool | undefined
  try {
    for (const handler of p.handlers) {
      const guest = await createZkGuest({ handlerPath: resolve(handler), cacheDir: join(cacheDir, 'zk-inputs'), limits: p.limits })
      guests.push(guest)
      guestInfo.push({ handlerPath: resolve(handler), codeHash: guest.codeHash, cached: guest.cached })
      for (const described of guest.functions) {
        const { name } = described
        if (functions.has(name)) throw new ZkConfigError(`Two handler files export a zk function named "${name}".`)
        const definition = Object.hasOwn(definitions, described.circuit) ? definitions[described.circuit] : undefined
        if (!circuits[described.circuit] && !definition) {
          throw new ZkConfigError(`zk function "${name}" names circuit "${described.circuit}", which is neither built nor defined.`)
        }
        circuits[described.circuit] ??= await buildCircuit({ circuit: definition!, cacheDir: join(cacheDir, 'circuits') })
        const circuit = circuits[described.circuit]!
        if (circuit.nPublic !== described.publicSignals.length) {
          throw new ZkConfigError(
            `zk function "${name}" names ${described.publicSignals.length} public signals; circuit "${circuit.id}" has ${circuit.nPublic}.`,
          )
        }
        const inGuest = () => {
          throw new ZkConfigError(`zk function "${name}" runs in the runtime sandbox, not in the gateway process.`)
        }
        const stand: ZkFunction<unknown, unknown> = { kind: 'zk', ...described, mapInputs: inGuest, decodeOutput: inGuest }
        handles.set(stand, { name, guest })
        byName.set(name, stand)
        functions.set(name, { name, fn: described, circuit, mappingCodeHash: guest.codeHash })
      }
    }
    pool = p.pool ?? createProverPool({ size: p.provers ?? 2, timeoutMs: p.proverTimeoutMs })
  } catch (err) {
    await Promise.allSettled(guests.map((g) => g.close()))
    throw err
  }
  const handleOf = (fn: ZkFunction<unknown, unknown>) => {
    const h = handles.get(fn)
    if (!h) throw new ZkConfigError('This zk function was not loaded by the service.')
    return h
  }
  const executor = createZkExecutor({
    pool,
    circuits,
    mapInputs: (fn, request) => {
      const { name, guest } = handleOf(fn)
      return guest.mapInputs(name, request)
    },
    decodeOutput: (fn, publicSignals) => {
      const { name, guest } = handleOf(fn)
      return guest.decodeOutput(name, publicSignals)
    },
  })
  const invoke = (name: string, request: unknown) =>
    executor.invoke(byName.get(name)!, request, { onProgress: p.onProgress && ((e) => p.onProgress!(name, e)) })
  const ownsPool = !p.pool
  return {
    app: createZkRoutes({ functions, invoke, invokeBytes: p.invokeBytes ?? 1 << 20 }),
    functions,
    guests: guestInfo,
    invoke,
    async close() {
      await Promise.allSettled(guests.map((g) => g.close()))
      if (ownsPool) await pool.close()
    },
  }
}
