// `createTestRuntime`: a project's real components on one in-process replica — the same build as
// `nexus build` (buildProject, with its component cache), the same replica code as `nexus replica`
// (createReplica: sandbox, fuel, store, digest), an in-memory PGlite store, no gateway and no keys.
// The harness plays the gateway's part: it routes requests, encodes trigger payloads, numbers each
// function's invocations and sets their time, so a result equals what a deployed replica computes.
import { mkdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodeAbiParameters, keccak256, zeroAddress, type Address, type ContractEventArgsFromTopics, type Hex } from 'viem'
import { createReplica, type Replica } from '@nexus/runtime'
import { buildProject, type BuiltProject } from '../build/project.ts'
import type { NexusConfig } from '../config/define.ts'
import type { ContractAbi, ContractName, EventName } from '../context/types.ts'
import { TestRuntimeOptionError } from './errors.ts'
import { testResult, type TestResult } from './result.ts'
import { filesView, kvView, type FilesView, type KvView } from './state.ts'
import {
  blockInvocations,
  cronInvocations,
  eventInvocations,
  routeInvocation,
  type Deployed,
  type EventOptions,
  type Head,
  type HttpOptions,
  type Invocation,
} from './triggers.ts'

/** A time: a Date, or milliseconds since the epoch. */
export type TimeInput = Date | bigint | number

export type TestRuntimeOptions = {
  /** The project's nexus.config.ts: a path or a file URL (`new URL('../nexus.config.ts', import.meta.url)`). */
  config: string | URL
  /** The time every invocation sees (`ctx.env.now()`) until `setTime`. Default: 2025-01-01T00:00:00Z. */
  now?: TimeInput
  /**
   * Mixed into each invocation's random seed (`ctx.env.randomBytes`). Default: none, so the seed is
   * the replica's own (from code, function, seq and input) and results equal a deployed replica's.
   */
  seed?: string
  /** The chain id and verifier the digest binds (`nexus replica --chain-id/--verifier`). Default: 31337, the zero address. */
  chainId?: bigint
  verifier?: Address
  /** JSON-RPC URL per chain id for the handlers' chain reads. Default: none (a chain read fails the invocation). */
  rpc?: Record<string, string>
  /** Handler files. Default: handlers/ next to the config, as `nexus build`. */
  handlers?: string[]
  /** Build output (and component cache). Default: `.nexus/build` next to the config, shared with `nexus build`; compiled code goes to `.nexus/test/compiled`. */
  out?: string
  /** Where progress goes when the build takes over a second. Default: stderr. */
  progress?: (line: string) => void
}

export type BlockInput = { number?: bigint | number; timestamp?: bigint | number }

export type TestRuntime<TConfig = NexusConfig> = {
  project: BuiltProject
  /** Function ids, as deployed (`<project>-<handler>`). */
  functions: string[]
  /** An @onHttp request: routed as the gateway routes `/v1/functions/<id>/http/<path>`. */
  http(method: string, path: string, options?: HttpOptions): Promise<TestResult>
  /** A log of `contract`'s `event` with `args`, delivered to every @onEvent handler of it (one result each). */
  event<TContract extends ContractName<TConfig>, TEvent extends EventName<TConfig, TContract>>(
    event: TEvent,
    options: Omit<EventOptions, 'contract' | 'args' | 'blockNumber' | 'timestamp'> & {
      contract: TContract
      args: ContractEventArgsFromTopics<ContractAbi<TConfig, TContract>, TEvent>
      blockNumber?: bigint | number
      timestamp?: bigint | number
    },
  ): Promise<TestResult[]>
  /** A final block (default: the next one, at the current time): runs every @onBlock handler it is due for and moves the head events use. */
  block(block?: BlockInput): Promise<TestResult[]>
  /** A cron tick at the current time (or `at`) for every @onCron handler, or those whose id, handler name or schedule is `target`. */
  cron(target?: string, options?: { at?: TimeInput }): Promise<TestResult[]>
  /** POST /v1/functions/<id>/invoke: the raw body (bytes, text, or a value sent as JSON). */
  invoke(functionId: string, body?: Uint8Array | string | object): Promise<TestResult>
  /** A function's KV, as its next invocation sees it. */
  kv(functionId: string): KvView
  /** A function's files, as its next invocation sees them. */
  files(functionId: string): FilesView
  setTime(time: TimeInput): void
  /** Milliseconds since the epoch that invocations see now. */
  now(): bigint
  /** Change (or with undefined, drop) the seed mixed into random bytes. */
  setSeed(seed: string | undefined): void
  /** The replica itself, for what the harness does not wrap (state roots, proofs). */
  replica: Replica
  close(): Promise<void>
}

const DEFAULT_NOW = BigInt(Date.UTC(2025, 0, 1))

function toMs(t: TimeInput): bigint {
  const ms = t instanceof Date ? BigInt(t.getTime()) : BigInt(t)
  if (ms < 0n) throw new TestRuntimeOptionError(`A time before 1970 cannot be an invocation's time (${ms} ms).`)
  return ms
}

function fullId(functions: string[], id: string): string {
  const found = functions.find((f) => f === id) ?? functions.find((f) => f.endsWith(`-${id}`))
  if (!found) throw new TestRuntimeOptionError(`No function "${id}"; the project has ${functions.join(', ')}.`)
  return found
}

/** Build the project (cached components) and start one in-memory replica with every function deployed. */
export async function createTestRuntime<TConfig = NexusConfig>(options: TestRuntimeOptions): Promise<TestRuntime<TConfig>> {
  const configPath = options.config instanceof URL || options.config.startsWith('file:') ? fileURLToPath(options.config) : resolve(options.config)
  // Compiled (metered) components, by code hash: beside the build output, so a test's own `out` keeps the project folder clean.
  const cacheDir = options.out ? join(resolve(options.out), '.compiled') : join(dirname(configPath), '.nexus', 'test', 'compiled')
  await mkdir(cacheDir, { recursive: true })
  let seed = options.seed
  // The store's start (PGlite, migrations) takes seconds, as does the build: side by side.
  const replicaStarting = createReplica({
    index: 1,
    cacheDir,
    chainId: options.chainId ?? 31337n,
    verifier: options.verifier ?? zeroAddress,
    rpc: options.rpc,
    // Only with a seed does the harness depart from the replica's own derivation.
    randomSeed: (_request, derived) =>
      seed === undefined ? derived : keccak256(encodeAbiParameters([{ type: 'string' }, { type: 'bytes32' }], [seed, derived])),
  })
  const [built, started] = await Promise.allSettled([buildWithProgress(configPath, options), replicaStarting])
  if (built.status === 'rejected' || started.status === 'rejected') {
    if (started.status === 'fulfilled') await started.value.close()
    throw built.status === 'rejected' ? built.reason : (started as PromiseRejectedResult).reason
  }
  const project = built.value
  const replica = started.value
  const deployed: (Deployed & { codeHash: Hex })[] = []
  try {
    for (const fn of project.functions) {
      const { codeHash } = await replica.deploy({ component: fn.component!, manifest: fn.manifest! })
      await replica.bindVersions(fn.id, [{ fromSeq: 1n, codeHash }])
      deployed.push({ id: fn.id, triggers: fn.triggers, codeHash })
    }
  } catch (err) {
    await replica.close()
    throw err
  }
  const ids = deployed.map((f) => f.id)
  let now = options.now === undefined ? DEFAULT_NOW : toMs(options.now)
  const head: Head = { number: 0n, timestamp: now / 1000n }
  const logIndexes = new Map<bigint, number>()

  async function run(invocation: Invocation): Promise<TestResult> {
    const fn = deployed.find((f) => f.id === invocation.functionId)!
    const { lastAppliedSeq } = await replica.state(fn.id)
    const request = { ...invocation, codeHash: fn.codeHash, seq: lastAppliedSeq + 1n }
    return testResult(await replica.execute(request), request)
  }
  // One after another, as the log orders them.
  async function runAll(invocations: Invocation[]): Promise<TestResult[]> {
    const results: TestResult[] = []
    for (const i of invocations) results.push(await run(i))
    return results
  }

  return {
    project,
    functions: ids,
    replica,
    http: async (method, path, httpOptions = {}) => run(routeInvocation(deployed, method, path, httpOptions, now)),
    async event(event, o) {
      const blockNumber = o.blockNumber === undefined ? head.number : BigInt(o.blockNumber)
      const logIndex = o.logIndex ?? logIndexes.get(blockNumber) ?? 0
      logIndexes.set(blockNumber, logIndex + 1)
      return runAll(
        eventInvocations(deployed, event, {
          ...o,
          args: o.args as Record<string, unknown>,
          blockNumber,
          timestamp: o.timestamp === undefined ? (blockNumber === head.number ? head.timestamp : now / 1000n) : BigInt(o.timestamp),
          logIndex,
          head,
        }),
      )
    },
    async block(b = {}) {
      head.number = b.number === undefined ? head.number + 1n : BigInt(b.number)
      head.timestamp = b.timestamp === undefined ? now / 1000n : BigInt(b.timestamp)
      return runAll(blockInvocations(deployed, head))
    },
    cron: async (target, o = {}) => runAll(cronInvocations(deployed, target, o.at === undefined ? now : toMs(o.at))),
    async invoke(functionId, body = new Uint8Array()) {
      const input = body instanceof Uint8Array ? body : new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body))
      return run({ functionId: fullId(ids, functionId), trigger: 'http', input, timestampMs: now })
    },
    kv: (functionId) => kvView(replica, fullId(ids, functionId)),
    files: (functionId) => filesView(replica, fullId(ids, functionId)),
    setTime(time) {
      now = toMs(time)
    },
    now: () => now,
    setSeed(s) {
      seed = s
    },
    close: () => replica.close(),
  }
}

async function buildWithProgress(configPath: string, options: TestRuntimeOptions): Promise<BuiltProject> {
  const progress = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`))
  const started = performance.now()
  const slow = setTimeout(() => progress(`nexus test: building ${configPath} (componentizing changed handlers)…`), 1000)
  try {
    const project = await buildProject(configPath, { out: options.out, handlers: options.handlers })
    const seconds = (performance.now() - started) / 1000
    if (seconds > 1) {
      const built = project.functions.filter((f) => !f.cached).length
      progress(`nexus test: built ${project.functions.length} function(s) (${built} componentized) in ${seconds.toFixed(1)} s`)
    }
    return project
  } finally {
    clearTimeout(slow)
  }
}
