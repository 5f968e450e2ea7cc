// Runs inside the component: turns the invocation's input bytes into the typed context of the
// handler's trigger (protocol/src/triggers/payload.ts), calls the handler and encodes its result.
// Only the generated entry (framework/src/build/entry.ts) imports this file.
import { decodeFunctionResult, encodeFunctionData, type Abi, type Address, type Hex } from 'viem'
import type { BlockPayload, CronPayload, EventPayload, RoutePayload, TriggerPayload } from '@nexus/protocol'
import type { EventTriggerSpec, RouteTriggerSpec, TriggerSpec } from '@nexus/protocol'
import type { Host } from './host.ts'
import { decodeEventLogArgs, reviveEventArgs, selectRoute } from '@nexus/protocol'
import { fsContext } from './fs.ts'
import { kvContext } from './kv.ts'
import { encodeOutput, toJson } from './output.ts'
import { requestInfo } from './request.ts'
import type { AnyContext, BaseContext, ChainContext, EnvContext } from './types.ts'

const dec = new TextDecoder()

/** A chain read's `err` (revert, bad argument) as an Error the handler can catch and read. */
function chainRead<T>(op: string, read: () => T): T {
  try {
    return read()
  } catch (err) {
    const payload = (err as { payload?: unknown } | null)?.payload
    throw new Error(`chain.${op}: ${typeof payload === 'string' ? payload : err instanceof Error ? err.message : String(err)}`)
  }
}

function chainContext(chain: Host['chain']): ChainContext {
  const call = (request: { to: Address; data: Hex }) => chainRead('call', () => chain.call(request.to, request.data) as Hex)
  return {
    call,
    getBalance: (address) => BigInt(chainRead('getBalance', () => chain.getBalance(address))),
    getLogs: (filter) => JSON.parse(chainRead('getLogs', () => chain.getLogs(toJson(filter)))) as unknown[],
    readContract: (request) => {
      const { address, abi, functionName, args } = request as { address: Address; abi: Abi; functionName: string; args?: readonly unknown[] }
      const data = encodeFunctionData({ abi, functionName, args } as Parameters<typeof encodeFunctionData>[0])
      return decodeFunctionResult({ abi, functionName, data: call({ to: address, data }) } as Parameters<typeof decodeFunctionResult>[0]) as never
    },
  }
}

/** The parts of every context that depend only on the host: made once, when the module is evaluated. */
type FixedContext = Omit<BaseContext, 'env'>

function fixedContext(host: Host): FixedContext {
  return {
    kv: kvContext(host.kv),
    fs: fsContext(host.fs),
    chain: chainContext(host.chain),
    log: {
      debug: (m) => host.log.write('debug', m),
      info: (m) => host.log.write('info', m),
      warn: (m) => host.log.write('warn', m),
      error: (m) => host.log.write('error', m),
    },
  }
}

type Invocation = ReturnType<Host['env']['invocation']>

function envContext(env: Host['env'], info: Invocation): EnvContext {
  const random = (length: number) => env.randomBytes(length)
  // The QuickJS bindings lower a WIT u64 to a number; the context promises bigints.
  const now = () => BigInt(env.now())
  const invocation = { ...info, seq: BigInt(info.seq), chainId: BigInt(info.chainId), blockNumber: BigInt(info.blockNumber) }
  // The prelude binds Date to the invocation's time too, so this is `new Date()` made explicit.
  return { invocation, now, date: () => new Date(Number(now())), random, randomBytes: random }
}

function eventContext(base: BaseContext, specs: TriggerSpec[], p: EventPayload): AnyContext {
  const spec = specs.find(
    (s): s is EventTriggerSpec =>
      s.kind === 'event' &&
      BigInt(s.chainId) === BigInt(p.chainId) &&
      s.address.toLowerCase() === p.address.toLowerCase() &&
      s.topic0.toLowerCase() === p.topics[0]?.toLowerCase(),
  )
  if (!spec) throw new Error(`no @onEvent of this function matches the log of ${p.address} with topic0 ${p.topics[0]}`)
  if (p.decodeError !== undefined) throw new Error(`the log does not decode as ${spec.contract}.${spec.event}: ${p.decodeError}`)
  // The gateway decoded the log (canonical args in the input); payloads written before it did are
  // decoded here, with viem's ABI decoder in the interpreter (the slow path).
  const args = p.args !== undefined ? reviveEventArgs(spec.abi, p.args) : decodeEventLogArgs(spec.abi, p.topics, p.data)
  return {
    ...base,
    trigger: 'event',
    event: {
      name: spec.event,
      args,
      contract: spec.contract,
      log: {
        chainId: BigInt(p.chainId),
        address: p.address,
        blockNumber: BigInt(p.blockNumber),
        blockHash: p.blockHash,
        logIndex: p.logIndex,
        transactionHash: p.transactionHash,
        transactionIndex: p.transactionIndex,
        topics: p.topics,
        data: p.data,
      },
    },
  } as AnyContext
}

function routeContext(base: BaseContext, specs: TriggerSpec[], p: RoutePayload): AnyContext {
  const method = p.method.toUpperCase()
  const hit = selectRoute(
    specs.filter((s): s is RouteTriggerSpec => s.kind === 'route'),
    method,
    p.path,
  )
  if (!hit) throw new Error(`no @onHttp route of this function matches ${method} ${p.path}`)
  return {
    ...base,
    trigger: 'route',
    // `headers` is absent from payloads written before the gateway forwarded any.
    request: requestInfo({ method, path: p.path, params: hit.params, query: p.query, headers: p.headers ?? [], body: hexToBytes(p.body) }),
  }
}

function hexToBytes(hex: Hex): Uint8Array {
  const h = hex.slice(2)
  const out = new Uint8Array(h.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16)
  return out
}

function contextFor(host: Host, fixed: FixedContext, specs: TriggerSpec[], input: Uint8Array): AnyContext {
  // Asked once per invocation: every host call costs fuel and a crossing of the component boundary.
  const info = host.env.invocation()
  const trigger = info.trigger
  let payload: TriggerPayload
  try {
    payload = JSON.parse(dec.decode(input)) as TriggerPayload
  } catch {
    throw new Error(`input is not a trigger payload (invocation trigger "${trigger}")`)
  }
  // Only the gateway's trigger service and router write payloads with these trigger tags; a plain
  // HTTP invocation carrying a look-alike body must not pass for an on-chain event.
  if (!payload || payload.kind !== trigger || !specs.some((s) => s.kind === trigger)) {
    throw new Error(`this function handles ${[...new Set(specs.map((s) => s.kind))].join(', ')} triggers, not "${trigger}"`)
  }
  const base: BaseContext = { ...fixed, env: envContext(host.env, info) }
  switch (payload.kind) {
    case 'event':
      return eventContext(base, specs, payload)
    case 'block': {
      const b = payload as BlockPayload
      return {
        ...base,
        trigger: 'block',
        block: { chainId: BigInt(b.chainId), number: BigInt(b.number), hash: b.hash, parentHash: b.parentHash, timestamp: BigInt(b.timestamp) },
      }
    }
    case 'cron': {
      const c = payload as CronPayload
      return { ...base, trigger: 'cron', tick: { schedule: c.schedule, scheduledAtMs: BigInt(c.scheduledAtMs) } }
    }
    case 'route':
      return routeContext(base, specs, payload)
  }
}

/**
 * Makes the body of the generated `handle` export. The entry calls this when its module is evaluated,
 * which is at build time, before the engine's heap is snapshotted: the contexts that depend only on
 * the host are then in the snapshot every invocation starts from, not rebuilt by each one. Each
 * invocation still gets its own context object, and nothing it changes outlives it (the instance is
 * reset). An async handler's Promise is encoded when it settles: the runtime's guest prelude runs
 * the Promise jobs to the end before the export returns.
 */
export function functionRunner(
  host: Host,
  specs: TriggerSpec[],
  handler: (ctx: never) => unknown,
): (input: Uint8Array) => Uint8Array | PromiseLike<Uint8Array> {
  const fixed = fixedContext(host)
  return (input) => {
    const result = handler(contextFor(host, fixed, specs, input) as never)
    if (result && typeof (result as { then?: unknown }).then === 'function') return (result as PromiseLike<unknown>).then(encodeOutput)
    return encodeOutput(result)
  }
}
