// What a handler receives: host access (`kv`, `fs`, `chain`, `log`, `env`) plus the decoded trigger
// (`event`, `block`, `request` or `tick`). Everything here is deterministic: the same invocation
// gives every replica the same context.
import type {
  Abi,
  Address,
  ContractEventArgsFromTopics,
  ContractEventName,
  ContractFunctionArgs,
  ContractFunctionName,
  ContractFunctionReturnType,
  Hex,
} from 'viem'
import type { NexusConfig } from '../config/define.ts'

/** Persistent key-value state; keys compare and list in UTF-8 byte order. */
export type KvContext = {
  get(key: string): Uint8Array | undefined
  set(key: string, value: Uint8Array): void
  delete(key: string): boolean
  /** Keys starting with `prefix`, after `startAfter`, in byte order, at most `limit` (default 100). */
  scan(prefix: string, options?: { startAfter?: string; limit?: number }): [string, Uint8Array][]
  getString(key: string): string | undefined
  setString(key: string, value: string): void
  /** JSON value; bigints are stored as decimal strings. */
  getJson<T = unknown>(key: string): T | undefined
  setJson(key: string, value: unknown): void
}

/** Files in the function's own root (paths relative to it; `..` escaping it is rejected). */
export type FsContext = {
  readFile(path: string): Uint8Array
  readText(path: string): string
  writeFile(path: string, data: Uint8Array | string): void
  /** Appends, creating the file when missing. */
  appendFile(path: string, data: Uint8Array | string): void
  exists(path: string): boolean
  readdir(path: string): string[]
  mkdir(path: string): void
  unlink(path: string): void
  rename(from: string, to: string): void
}

/** Read-only chain access, pinned to the trigger's block on every replica. */
export type ChainContext = {
  call(request: { to: Address; data: Hex }): Hex
  getBalance(address: Address): bigint
  getLogs(filter: Record<string, unknown>): unknown[]
  readContract<
    const TAbi extends Abi,
    TName extends ContractFunctionName<TAbi, 'pure' | 'view'>,
    const TArgs extends ContractFunctionArgs<TAbi, 'pure' | 'view', TName>,
  >(request: { address: Address; abi: TAbi; functionName: TName; args?: TArgs }): ContractFunctionReturnType<TAbi, 'pure' | 'view', TName, TArgs>
}

export type LogContext = {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

export type InvocationInfo = { functionId: string; seq: bigint; trigger: string; chainId: bigint; blockNumber: bigint }

export type EnvContext = {
  invocation: InvocationInfo
  /** Milliseconds since the epoch: the trigger block's timestamp or the time the log assigned. */
  now(): bigint
  /** Seeded by the invocation digest: identical on every replica. */
  randomBytes(length: number): Uint8Array
}

export type BaseContext = { kv: KvContext; fs: FsContext; chain: ChainContext; log: LogContext; env: EnvContext }

export type DecodedLog = {
  chainId: bigint
  address: Address
  blockNumber: bigint
  blockHash: Hex
  logIndex: number
  transactionHash: Hex
  transactionIndex: number
  topics: Hex[]
  data: Hex
}

export type DecodedEvent<TAbi extends Abi = Abi, TEvent extends string = string> = {
  name: TEvent
  args: TAbi extends Abi
    ? TEvent extends ContractEventName<TAbi>
      ? ContractEventArgsFromTopics<TAbi, TEvent>
      : Record<string, unknown>
    : Record<string, unknown>
  contract: string
  log: DecodedLog
}

type ContractsOf<TConfig> = TConfig extends NexusConfig<any, infer C> ? C : never
/** Contract names of a config. */
export type ContractName<TConfig> = Extract<keyof ContractsOf<TConfig>, string>
/** The ABI of a contract of a config. */
export type ContractAbi<TConfig, TContract extends string> = ContractsOf<TConfig> extends Record<TContract, { abi: infer A }> ? (A extends Abi ? A : Abi) : Abi
/** Event names of a contract of a config. */
export type EventName<TConfig, TContract extends string> = ContractEventName<ContractAbi<TConfig, TContract>>

/** Context of `@onEvent({ contract, event })`: `event.args` is typed from the contract's ABI. */
export type EventContext<TConfig = NexusConfig, TContract extends string = string, TEvent extends string = string> = BaseContext & {
  trigger: 'event'
  event: DecodedEvent<ContractAbi<TConfig, TContract>, TEvent>
}

export type BlockInfo = { chainId: bigint; number: bigint; hash: Hex; parentHash: Hex; timestamp: bigint }
export type BlockContext = BaseContext & { trigger: 'block'; block: BlockInfo }

export type RequestInfo = {
  method: string
  path: string
  /** Values of `:name` segments of the route pattern. */
  params: Record<string, string>
  query: [string, string][]
  body: Uint8Array
  text(): string
  json<T = unknown>(): T
}
export type RequestContext = BaseContext & { trigger: 'route'; request: RequestInfo }

export type TickInfo = { schedule: string; scheduledAtMs: bigint }
export type CronContext = BaseContext & { trigger: 'cron'; tick: TickInfo }

export type AnyContext = EventContext | BlockContext | RequestContext | CronContext

/**
 * A handler's return value becomes the result's output: `Uint8Array` as is, a string as UTF-8,
 * `undefined` as empty, anything else as JSON (bigints as decimal strings).
 */
export type HandlerResult = unknown

/** The context of an `@onHttp` handler under the name other frameworks use: the same type as RequestContext. */
export type HttpContext = RequestContext
