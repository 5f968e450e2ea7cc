// Runs a zk function's request → circuit-inputs mapping inside the runtime sandbox: a fresh
// instance per call (restored pristine snapshot, as on replicas), fuel and memory caps, clock 0 and randomness seeded from the request. A
// throwing, looping or allocating mapping becomes a `NEXUS_ZK_INVALID_INPUT` error (deterministic,
// so never retried), not a gateway crash.
import { join } from 'node:path'
import { keccak256 } from 'viem'
import { ZkInputError, validateCircuitInputs, type CircuitInputs, type ZkFunction } from '../../../framework/src/zk/index.ts'
import {
  Status,
  compileComponent,
  createSandbox,
  type ExecuteParameters,
  type Limits,
  type Manifest,
} from '../../../runtime/src/index.ts'
import { buildZkGuest } from './guest-build.ts'
import type { GuestReply } from './guest-entry.ts'

export type SandboxedInputMapper = {
  /** Code hash of the guest component (what ran the mapping). */
  codeHash: string
  /** True when the component came from the cache. */
  cached: boolean
  /** Map `request` with the handler file's export `name`; throws `ZkInputError`. */
  map(name: string, fn: ZkFunction<unknown, unknown>, request: unknown): Promise<CircuitInputs>
  close(): Promise<void>
}

export type CreateSandboxedInputMapperParameters = {
  handlerPath: string
  /** Cache for the guest component and its compiled (metered) modules. */
  cacheDir: string
  /** Fuel/memory for one mapping. Default: the runtime's defaults. */
  limits?: Partial<Limits>
  /** Wall-clock backstop (fuel ends runaway mappings first). Default 30 s. */
  watchdogMs?: number
  /**
   * Instantiate anew for every mapping instead of restoring the pristine snapshot (the runtime's
   * "fresh instance": indistinguishable to the guest, and what replicas do). Default false.
   */
  freshInstances?: boolean
}

// zk mappings are stateless: every storage read sees an empty store.
const emptyStore: ExecuteParameters['read'] = async (request) => {
  if (request.op === 'kv.get' || request.op === 'fs.get') return null
  return []
}

export async function createSandboxedInputMapper(p: CreateSandboxedInputMapperParameters): Promise<SandboxedInputMapper> {
  const artifact = await buildZkGuest({ handlerPath: p.handlerPath, cacheDir: join(p.cacheDir, 'components'), limits: p.limits })
  const manifest: Manifest = artifact.manifest
  const { dir } = await compileComponent(artifact.component, { cacheDir: join(p.cacheDir, 'compiled'), memoryPages: manifest.limits.memoryPages })
  const sandbox = createSandbox({ watchdogMs: p.watchdogMs })
  const encoder = new TextEncoder()
  const decoder = new TextDecoder()

  return {
    codeHash: manifest.codeHash,
    cached: artifact.cached,
    async map(name, fn, request) {
      const input = encoder.encode(JSON.stringify({ name, request }))
      const outcome = await sandbox.execute({
        codeHash: manifest.codeHash,
        dir,
        input,
        limits: manifest.limits,
        reuse: !p.freshInstances,
        info: {
          functionId: `zk:${name}`,
          seq: 0n,
          trigger: 'zk',
          chainId: 0n,
          blockNumber: 0n,
          timestampMs: 0n,
          randomSeed: keccak256(input),
        },
        read: emptyStore,
      })
      if (outcome.status === Status.outOfFuel) {
        throw new ZkInputError(`The input mapping of "${name}" ran out of fuel (limit ${manifest.limits.fuel}).`)
      }
      if (outcome.status === Status.outOfMemory) {
        throw new ZkInputError(`The input mapping of "${name}" ran out of memory (cap ${manifest.limits.memoryPages} pages).`)
      }
      if (outcome.status !== Status.ok) {
        throw new ZkInputError(`The input mapping of "${name}" failed in the sandbox.`, { details: outcome.error })
      }
      const reply = JSON.parse(decoder.decode(outcome.output)) as GuestReply
      if (!reply.ok) {
        throw new ZkInputError(reply.error.shortMessage, { metaMessages: reply.error.problems, details: reply.error.details })
      }
      // The guest already validated; checking again here costs microseconds and means the prover
      // only ever sees inputs this process has checked against the declaration.
      return validateCircuitInputs(fn.signals, reply.inputs)
    },
    close: () => sandbox.close(),
  }
}
