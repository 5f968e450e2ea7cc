// A handler file's zk functions, served from the runtime sandbox: a fresh instance per call (the
// pristine snapshot restored, as on replicas), fuel and memory caps, clock 0, randomness seeded
// from the call, an empty store. The request → circuit-inputs mapping and the output decoding run
// here; a throwing, looping or allocating mapping becomes a `NEXUS_ZK_INVALID_INPUT` error
// (deterministic, so never retried), not a gateway crash.
import { join } from 'node:path'
import { keccak256 } from 'viem'
import { ZkInputError, validateCircuitInputs, type CircuitInputs, type SignalSpecs } from '@nexus/protocol/zk'
import { Status } from '@nexus/protocol'
import { compileComponent, createSandbox, type ExecuteParameters, type Limits, type Manifest } from '@nexus/runtime'
import { ZkOutputError, ZkGuestBuildError } from './errors.ts'
import { buildZkGuest } from './guest-build.ts'
import type { GuestError, GuestFunction, GuestReply } from './guest-entry.ts'

export type ZkGuestFunction = GuestFunction & { signals: SignalSpecs }

export type ZkGuest = {
  /** Code hash of the guest component (what runs the author's code). */
  codeHash: string
  /** True when the component came from the cache (the handler file is unchanged). */
  cached: boolean
  /** The handler file's zk exports, as the guest reports them. */
  functions: ZkGuestFunction[]
  /** Map `request` with export `name`; throws `ZkInputError`. */
  mapInputs(name: string, request: unknown): Promise<CircuitInputs>
  /** Decode proven public signals with export `name`'s `output`; throws `ZkOutputError`. */
  decodeOutput(name: string, publicSignals: readonly string[]): Promise<unknown>
  close(): Promise<void>
}

export type CreateZkGuestParameters = {
  handlerPath: string
  /** Cache for the guest component and its compiled (metered) modules. */
  cacheDir: string
  /** Fuel/memory per call. Default: the runtime's defaults. */
  limits?: Partial<Limits>
  /** Wall-clock backstop (fuel ends runaway code first). Default 30 s. */
  watchdogMs?: number
  /** Instantiate anew for every call instead of restoring the pristine snapshot. Default false. */
  freshInstances?: boolean
}

// zk functions are stateless: every storage read sees an empty store.
const emptyStore: ExecuteParameters['read'] = async (request) => {
  if (request.op === 'kv.get' || request.op === 'fs.get') return null
  return []
}

export async function createZkGuest(p: CreateZkGuestParameters): Promise<ZkGuest> {
  const artifact = await buildZkGuest({ handlerPath: p.handlerPath, cacheDir: join(p.cacheDir, 'components'), limits: p.limits })
  const manifest: Manifest = artifact.manifest
  const { dir } = await compileComponent(artifact.component, { cacheDir: join(p.cacheDir, 'compiled'), memoryPages: manifest.limits.memoryPages })
  const sandbox = createSandbox({ watchdogMs: p.watchdogMs })
  const encoder = new TextEncoder()
  const decoder = new TextDecoder()

  /** One call into the guest; `fail` turns author-code failures into the right typed error. */
  async function call<T>(what: string, body: object, fail: (short: string, e?: GuestError) => Error): Promise<T> {
    const input = encoder.encode(JSON.stringify(body))
    const outcome = await sandbox.execute({
      codeHash: manifest.codeHash,
      dir,
      input,
      limits: manifest.limits,
      reuse: !p.freshInstances,
      info: { functionId: `zk:${what}`, seq: 0n, trigger: 'zk', chainId: 0n, blockNumber: 0n, timestampMs: 0n, randomSeed: keccak256(input) },
      read: emptyStore,
    })
    if (outcome.status === Status.outOfFuel) throw fail(`The ${what} ran out of fuel (limit ${manifest.limits.fuel}).`)
    if (outcome.status === Status.outOfMemory) throw fail(`The ${what} ran out of memory (cap ${manifest.limits.memoryPages} pages).`)
    if (outcome.status !== Status.ok) throw fail(`The ${what} failed in the sandbox.`, { shortMessage: '', details: outcome.error })
    const reply = JSON.parse(decoder.decode(outcome.output)) as GuestReply<T>
    if (!reply.ok) throw fail(reply.error.shortMessage, reply.error)
    return reply
  }
  const inputError = (short: string, e?: GuestError) => new ZkInputError(short, { metaMessages: e?.problems, details: e?.details })

  try {
    const { functions } = await call<{ functions: ZkGuestFunction[] }>(
      'zk declarations',
      { op: 'describe' },
      (short, e) => new ZkGuestBuildError(`Could not read the zk declarations of ${p.handlerPath}: ${short}`, { details: e?.details }),
    )
    const byName = new Map(functions.map((f) => [f.name, f]))
    return {
      codeHash: manifest.codeHash,
      cached: artifact.cached,
      functions,
      async mapInputs(name, request) {
        const fn = byName.get(name)
        if (!fn) throw new ZkInputError(`No zk function "${name}" in ${p.handlerPath}.`)
        const { inputs } = await call<{ inputs: unknown }>(`input mapping of "${name}"`, { op: 'inputs', name, request }, inputError)
        // The guest already validated; checking again here costs microseconds and means the prover
        // only ever sees inputs this process has checked against the declaration.
        return validateCircuitInputs(fn.signals, inputs)
      },
      async decodeOutput(name, publicSignals) {
        const outputError = (short: string, e?: GuestError) =>
          new ZkOutputError(`The output function of "${name}" failed on the proven public signals.`, {
            metaMessages: e?.problems,
            details: [short, e?.details].filter(Boolean).join(': '),
          })
        const { output } = await call<{ output: unknown }>(`output of "${name}"`, { op: 'output', name, publicSignals }, outputError)
        return output
      },
      close: () => sandbox.close(),
    }
  } catch (err) {
    await sandbox.close()
    throw err
  }
}
