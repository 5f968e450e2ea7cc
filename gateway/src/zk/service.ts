// The gateway's Nexus Zero service: loads zk declarations from handler files, builds their circuits
// (content-cached) and their input mappings (a runtime component), and proves on a pool of prover
// processes. Each invocation goes to ONE prover (a proof is self-verifying, no quorum); the pool moves
// it to another prover on a crash, error, timeout or a proof that does not verify, and verifies every
// proof before it is returned, so a wrong proof is never served.
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Hono } from 'hono'
import { isZkFunction, type ZkErrorResult, type ZkFunction, type ZkResult } from '../../../framework/src/zk/index.ts'
import {
  buildCircuit,
  builtinCircuits,
  createProverPool,
  createZkExecutor,
  type BuiltCircuit,
  type CircuitDefinition,
  type ProverPool,
  type ProverProgress,
} from '../../../circuits/src/index.ts'
import type { Limits } from '../../../runtime/src/index.ts'
import { ZkConfigError } from './errors.ts'
import { createZkRoutes } from './routes.ts'
import { createSandboxedInputMapper, type SandboxedInputMapper } from './sandboxed-inputs.ts'

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
  fn: ZkFunction<unknown, unknown>
  circuit: BuiltCircuit
  /** Code hash of the guest component that runs this function's input mapping. */
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
  const mappers: SandboxedInputMapper[] = []
  const guests: ZkService['guests'] = []
  const mapperOf = new Map<ZkFunction<unknown, unknown>, { name: string; mapper: SandboxedInputMapper }>()
  let pool: ProverPool | undefined
  try {
    for (const handler of p.handlers) {
      const module = (await import(pathToFileURL(resolve(handler)).href)) as Record<string, unknown>
      const exported = Object.entries(module).filter((e): e is [string, ZkFunction<unknown, unknown>] => isZkFunction(e[1]))
      if (exported.length === 0) continue
      const mapper = await createSandboxedInputMapper({ handlerPath: handler, cacheDir: join(cacheDir, 'zk-inputs'), limits: p.limits })
      mappers.push(mapper)
      guests.push({ handlerPath: resolve(handler), codeHash: mapper.codeHash, cached: mapper.cached })
      for (const [name, fn] of exported) {
        if (functions.has(name)) throw new ZkConfigError(`Two handler files export a zk function named "${name}".`)
        const definition = Object.hasOwn(definitions, fn.circuit) ? definitions[fn.circuit] : undefined
        if (!circuits[fn.circuit] && !definition) {
          throw new ZkConfigError(`zk function "${name}" names circuit "${fn.circuit}", which is neither built nor defined.`)
        }
        circuits[fn.circuit] ??= await buildCircuit({ circuit: definition!, cacheDir: join(cacheDir, 'circuits') })
        functions.set(name, { name, fn, circuit: circuits[fn.circuit]!, mappingCodeHash: mapper.codeHash })
        mapperOf.set(fn, { name, mapper })
      }
    }
    pool = p.pool ?? createProverPool({ size: p.provers ?? 2, timeoutMs: p.proverTimeoutMs })
  } catch (err) {
    await Promise.allSettled(mappers.map((m) => m.close()))
    throw err
  }
  const executor = createZkExecutor({
    pool,
    circuits,
    mapInputs: (fn, request) => {
      const entry = mapperOf.get(fn)
      if (!entry) throw new ZkConfigError('This zk function was not loaded by the service.')
      return entry.mapper.map(entry.name, fn, request)
    },
  })
  const invoke = (name: string, request: unknown) => {
    const entry = functions.get(name)!
    return executor.invoke(entry.fn, request, { onProgress: p.onProgress && ((e) => p.onProgress!(name, e)) })
  }
  const ownsPool = !p.pool
  return {
    app: createZkRoutes({ functions, invoke, invokeBytes: p.invokeBytes ?? 1 << 20 }),
    functions,
    guests,
    invoke,
    async close() {
      await Promise.allSettled(mappers.map((m) => m.close()))
      if (ownsPool) await pool.close()
    },
  }
}
