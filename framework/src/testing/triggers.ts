// Which functions a test's request, event, block or tick reaches, and the input bytes the gateway
// would log for it: the same route matching (protocol's findRoute), the same canonical payloads
// (encodeTriggerPayload) and the same clocks (block time for chain triggers, the tick for cron).
import { encodeAbiParameters, encodeEventTopics, keccak256, toHex, type AbiEvent, type Hex } from 'viem'
import {
  encodeTriggerPayload,
  eventPayloadArgs,
  findRoute,
  type EventTriggerSpec,
  type RoutePayload,
  type RouteTriggerSpec,
  type TriggerSpec,
} from '@nexus/protocol'
import { AmbiguousFunctionError, NoMatchingFunctionError, TestRuntimeOptionError } from './errors.ts'

export type Deployed = { id: string; triggers: TriggerSpec[] }

/** One invocation to run: what `ExecuteRequest` needs besides the code hash and seq. */
export type Invocation = { functionId: string; trigger: string; input: Uint8Array; timestampMs: bigint; chainId?: bigint; blockNumber?: bigint }

export type HttpOptions = {
  /** Sent as the body, JSON-encoded. */
  json?: unknown
  /** The raw body. */
  body?: string | Uint8Array
  /** Query parameters, appended after any in `path`. */
  query?: Record<string, string> | [string, string][]
  /**
   * Request headers, as a client would send them (`json` adds `content-type: application/json`).
   * The protocol's route payload canonicalizes them (and drops credentials) where it carries headers.
   */
  headers?: Record<string, string> | [string, string][]
  /** The function to call when several declare a matching route. */
  function?: string
}

const utf8 = (s: string) => new TextEncoder().encode(s)

export function routeInvocation(functions: Deployed[], method: string, target: string, options: HttpOptions, timestampMs: bigint): Invocation {
  const url = new URL(target, 'http://test.invalid')
  const query: [string, string][] = [...url.searchParams.entries()]
  if (options.query) query.push(...(Array.isArray(options.query) ? options.query : Object.entries(options.query)))
  const candidates = options.function ? functions.filter((f) => f.id === options.function || f.id.endsWith(`-${options.function}`)) : functions
  const hits = candidates.flatMap((f) => {
    const routes = f.triggers.filter((t): t is RouteTriggerSpec => t.kind === 'route')
    const { match, allowed } = findRoute(routes, method, url.pathname)
    return match || allowed.length > 0 ? [{ f, match, allowed }] : []
  })
  const matched = hits.filter((h) => h.match)
  if (matched.length > 1)
    throw new AmbiguousFunctionError(`${method} ${url.pathname} matches routes of ${matched.map((h) => h.f.id).join(', ')}; pass { function: '<id>' }.`)
  if (matched.length === 0) {
    const allowed = [...new Set(hits.flatMap((h) => h.allowed))]
    throw new NoMatchingFunctionError(
      allowed.length > 0
        ? `${method} is not allowed on ${url.pathname}; allowed: ${allowed.join(', ')} (the gateway answers 405 without invoking).`
        : `No @onHttp route matches ${method} ${url.pathname} (the gateway answers 404); routes: ${describeRoutes(functions)}.`,
    )
  }
  const body =
    options.json !== undefined ? utf8(JSON.stringify(options.json)) : typeof options.body === 'string' ? utf8(options.body) : (options.body ?? new Uint8Array())
  const headers: [string, string][] = options.headers ? (Array.isArray(options.headers) ? [...options.headers] : Object.entries(options.headers)) : []
  if (options.json !== undefined && !headers.some(([name]) => name.toLowerCase() === 'content-type')) headers.push(['content-type', 'application/json'])
  // `headers` as the gateway passes them; a protocol without route headers leaves them out of the input.
  const payload = { kind: 'route', method: method.toUpperCase(), path: url.pathname, query, headers, body: toHex(body) } as RoutePayload
  const input = encodeTriggerPayload(payload)
  return { functionId: matched[0]!.f.id, trigger: 'route', input, timestampMs }
}

function describeRoutes(functions: Deployed[]): string {
  const routes = functions.flatMap((f) => f.triggers.filter((t) => t.kind === 'route').map((t) => `${t.method} ${t.path} (${f.id})`))
  return routes.length > 0 ? routes.join(', ') : 'none'
}

export type Head = { number: bigint; timestamp: bigint }

/** A block hash the harness makes up for a block number: distinct per block, the same in every run. */
export const blockHash = (n: bigint): Hex => keccak256(utf8(`nexus-test-block:${n}`))

export type EventOptions = {
  contract: string
  args: Record<string, unknown>
  /** Default: the current block (`nx.block` moves it). */
  blockNumber?: bigint
  /** Default: the current block's timestamp. */
  timestamp?: bigint
  /** Default: counts up within the block. */
  logIndex?: number
  transactionHash?: Hex
  transactionIndex?: number
}

/** The log `event` of `contract` would be with `args` (viem's ABI encoding), and every function whose @onEvent it reaches. */
export function eventInvocations(functions: Deployed[], eventName: string, o: EventOptions & { head: Head; logIndex: number }): Invocation[] {
  const specs = functions.flatMap((f) =>
    f.triggers.filter((t): t is EventTriggerSpec => t.kind === 'event' && t.contract === o.contract && t.event === eventName).map((t) => ({ f, t })),
  )
  if (specs.length === 0) {
    const events = functions.flatMap((f) => f.triggers.filter((t) => t.kind === 'event').map((t) => `${t.contract}.${t.event} (${f.id})`))
    throw new NoMatchingFunctionError(`No @onEvent handler for ${o.contract}.${eventName}; handled events: ${events.join(', ') || 'none'}.`)
  }
  const abi = specs[0]!.t.abi
  const { topics, data } = encodeLog(abi, o.args)
  const blockNumber = o.blockNumber ?? o.head.number
  const timestamp = o.timestamp ?? o.head.timestamp
  const invocations: Invocation[] = []
  for (const { f, t } of specs) {
    if (!topicsMatch(t.topics, topics)) continue
    const input = encodeTriggerPayload({
      kind: 'event',
      chainId: String(t.chainId),
      blockNumber: blockNumber.toString(),
      blockHash: blockHash(blockNumber),
      logIndex: o.logIndex,
      transactionHash: o.transactionHash ?? keccak256(utf8(`nexus-test-tx:${blockNumber}:${o.logIndex}`)),
      transactionIndex: o.transactionIndex ?? 0,
      address: t.address,
      topics,
      data,
      // The gateway's decoding (sinks.ts), so a test's handler sees the production payload.
      ...eventPayloadArgs(t.abi, topics, data),
    })
    invocations.push({ functionId: f.id, trigger: 'event', input, timestampMs: timestamp * 1000n, chainId: BigInt(t.chainId), blockNumber })
  }
  return invocations
}

function encodeLog(abi: AbiEvent, args: Record<string, unknown>): { topics: Hex[]; data: Hex } {
  for (const input of abi.inputs)
    if (input.name && !(input.name in args))
      throw new TestRuntimeOptionError(`${abi.name}: args.${input.name} is missing (the event has ${abi.inputs.map((i) => i.name).join(', ')}).`)
  const indexedArgs = Object.fromEntries(abi.inputs.filter((i) => i.indexed && i.name).map((i) => [i.name!, args[i.name!]]))
  const topics = encodeEventTopics({ abi: [abi], eventName: abi.name, args: indexedArgs } as Parameters<typeof encodeEventTopics>[0]) as Hex[]
  const plain = abi.inputs.filter((i) => !i.indexed)
  const data = encodeAbiParameters(
    plain,
    plain.map((i) => args[i.name ?? '']),
  )
  return { topics, data }
}

/** The trigger's indexed-argument filter (topics 1..3; null = any) against the log's topics. */
function topicsMatch(filter: EventTriggerSpec['topics'], topics: Hex[]): boolean {
  if (!filter) return true
  return filter.every((want, i) => {
    if (want === null || want === undefined) return true
    const got = topics[i + 1]?.toLowerCase()
    return (Array.isArray(want) ? want : [want]).some((w) => w.toLowerCase() === got)
  })
}

export function blockInvocations(functions: Deployed[], head: Head): Invocation[] {
  const invocations: Invocation[] = []
  for (const f of functions)
    for (const t of f.triggers) {
      if (t.kind !== 'block' || head.number % BigInt(t.every > 0 ? t.every : 1) !== 0n) continue
      const input = encodeTriggerPayload({
        kind: 'block',
        chainId: String(t.chainId),
        number: head.number.toString(),
        hash: blockHash(head.number),
        parentHash: blockHash(head.number - 1n),
        timestamp: head.timestamp.toString(),
      })
      invocations.push({ functionId: f.id, trigger: 'block', input, timestampMs: head.timestamp * 1000n, chainId: BigInt(t.chainId), blockNumber: head.number })
    }
  return invocations
}

/** `target`: a function id (or its handler part, `tick` for `<project>-tick`) or a schedule. */
export function cronInvocations(functions: Deployed[], target: string | undefined, scheduledAtMs: bigint): Invocation[] {
  const invocations: Invocation[] = []
  for (const f of functions)
    for (const t of f.triggers) {
      if (t.kind !== 'cron') continue
      if (target !== undefined && f.id !== target && !f.id.endsWith(`-${target}`) && t.schedule !== target) continue
      const input = encodeTriggerPayload({ kind: 'cron', schedule: t.schedule, scheduledAtMs: scheduledAtMs.toString() })
      invocations.push({ functionId: f.id, trigger: 'cron', input, timestampMs: scheduledAtMs })
    }
  if (invocations.length === 0) {
    const crons = functions.flatMap((f) => f.triggers.filter((t) => t.kind === 'cron').map((t) => `${f.id} (${t.schedule})`))
    throw new NoMatchingFunctionError(`No @onCron handler${target ? ` matches "${target}"` : ''}; cron functions: ${crons.join(', ') || 'none'}.`)
  }
  return invocations
}
