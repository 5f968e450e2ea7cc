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

/** A value KV stores: bytes as they are, a string as its UTF-8 bytes. */
export type KvValue = Uint8Array | string

/** Options of `kv.list`: at most `limit` keys (default 100, at most 1000) after `cursor`. */
export type KvListOptions = { limit?: number; cursor?: string }

/** One page of `kv.list`. */
export type KvListPage = {
  /** The page's keys, in UTF-8 byte order. */
  keys: string[]
  /** The same keys with their values. */
  entries: [string, Uint8Array][]
  /** Pass it back as `cursor` for the next page; `undefined` on the last page. Opaque (today: the page's last key). */
  cursor: string | undefined
}

/** Persistent key-value state; keys compare and list in UTF-8 byte order. */
export type KvContext = {
  /** The stored bytes (`getString`/`getJson` decode them). */
  get(key: string): Uint8Array | undefined
  /** Stores bytes, or a string as UTF-8 (read it back with `getString`). */
  set(key: string, value: KvValue): void
  /** Whether the key existed. */
  delete(key: string): boolean
  /** A page of the keys starting with `prefix` (default: all keys), in byte order. */
  list(prefix?: string, options?: KvListOptions): KvListPage
  /** The same, Cloudflare-style: `list({ prefix, limit, cursor })`. */
  list(options: KvListOptions & { prefix?: string }): KvListPage
  /** Keys starting with `prefix`, after `startAfter`, in byte order, at most `limit` (default 100, at most 1000). */
  scan(prefix: string, options?: { startAfter?: string; limit?: number }): [string, Uint8Array][]
  getString(key: string): string | undefined
  setString(key: string, value: string): void
  /** JSON value; bigints are stored as decimal strings. */
  getJson<T = unknown>(key: string): T | undefined
  setJson(key: string, value: unknown): void
}

/**
 * Files in the function's own root `/`. `/a/b.txt`, `a/b.txt` and `./a/b.txt` name the same file;
 * `..` may not climb above `/`. Failures throw an `FsError` (`err.kind`: `'not-found'`, `'invalid-path'`…).
 */
export type FsContext = {
  readFile(path: string): Uint8Array
  readText(path: string): string
  writeFile(path: string, data: Uint8Array | string): void
  /** Appends, creating the file when missing. */
  appendFile(path: string, data: Uint8Array | string): void
  /** False when the path names nothing; an invalid path still throws. */
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
  /** `now()` as a `Date`. */
  date(): Date
  /** `length` bytes seeded by the invocation digest: identical on every replica. */
  random(length: number): Uint8Array
  /** The same as `random`. */
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

/** Request headers the gateway forwards (docs/authoring.md): read-only, names case-insensitive, iterated sorted by name. */
export type RequestHeaders = Iterable<[string, string]> & {
  /** The value, or `null` when absent (as Fetch's `Headers.get`). */
  get(name: string): string | null
  has(name: string): boolean
  keys(): IterableIterator<string>
  values(): IterableIterator<string>
  entries(): IterableIterator<[string, string]>
  forEach(callback: (value: string, name: string) => void): void
  /** `{ name: value }`, names lower-case. */
  toJSON(): Record<string, string>
}

/** The query string, read-only, like `URLSearchParams`; iterates (and serializes to JSON) as `[name, value]` pairs in request order. */
export type QueryParams = Iterable<[string, string]> & {
  /** The first value, or `null` when absent. */
  get(name: string): string | null
  getAll(name: string): string[]
  has(name: string): boolean
  readonly size: number
  keys(): IterableIterator<string>
  values(): IterableIterator<string>
  entries(): IterableIterator<[string, string]>
  forEach(callback: (value: string, name: string) => void): void
  /** `a=1&b=2`, form-encoded as `URLSearchParams` does. */
  toString(): string
  toJSON(): [string, string][]
}

export type RequestInfo = {
  method: string
  /** The path below the function's route prefix, starting with `/`. */
  path: string
  /** `path` plus `?query` when there is one (relative: the host is not part of the invocation). */
  url: string
  /** Values of `:name` segments of the route pattern. */
  params: Record<string, string>
  query: QueryParams
  headers: RequestHeaders
  body: Uint8Array
  /** The body as UTF-8 (synchronous; `await` works too). */
  text(): string
  /** The body parsed as JSON; a body that is not JSON throws an Error saying so. */
  json<T = unknown>(): T
  /** The body bytes (same as `body`). */
  bytes(): Uint8Array
  arrayBuffer(): ArrayBuffer
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
