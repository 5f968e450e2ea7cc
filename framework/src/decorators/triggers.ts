// `@onEvent`, `@onBlock`, `@onHttp`, `@onCron`: TC39 standard method decorators (no
// `experimentalDecorators`), each also usable as a plain function for authors without classes.
// They only record a declaration; `nexus build` validates it against nexus.config.ts and turns
// each decorated method into its own component.
import type { Abi, ContractEventName, GetEventArgs } from 'viem'
import type { NexusConfig } from '../config/define.ts'
import type {
  BaseContext,
  BlockContext,
  ContractAbi,
  ContractName,
  CronContext,
  DecodedEvent,
  EventContext,
  EventName,
  RequestContext,
} from '../context/types.ts'
import { callSite, register, type Declaration } from './registry.ts'

type Method<This, Ctx> = (this: This, ctx: Ctx) => unknown
/** A method decorator that accepts methods taking `Ctx`. */
export type TriggerDecorator<Ctx> = <This, M extends Method<This, Ctx>>(method: M, context: ClassMethodDecoratorContext<This, M>) => void

const decoratorName = { event: 'onEvent', block: 'onBlock', route: 'onHttp', cron: 'onCron' } as const

function decorator<Ctx>(declaration: Declaration): TriggerDecorator<Ctx> {
  const site = callSite()
  const name = decoratorName[declaration.kind]
  return (method, context) => {
    if (context.kind !== 'method') throw new TypeError(`@${name} decorates methods, not a ${String(context.kind)} (${String(context.name)})`)
    if (context.private) throw new TypeError(`@${name} cannot decorate the private method ${String(context.name)}: the build calls it from outside the class`)
    register(method, { declaration, site })
  }
}

function plain<F extends Function>(declaration: Declaration, handler: F): F {
  if (typeof handler !== 'function') throw new TypeError(`${decoratorName[declaration.kind]}(..., handler): handler must be a function`)
  register(handler, { declaration, site: callSite() })
  return handler
}

// ---- onEvent ---------------------------------------------------------------------------------

export type EventSpec<TAbi extends Abi = Abi, TContract extends string = string, TEvent extends string = string> = {
  /** A contract name from `contracts` in nexus.config.ts. */
  contract: TContract
  /** An event of that contract's ABI. */
  event: TEvent
  /** Match only logs whose indexed arguments equal these values (null/undefined = any). */
  filter?: TEvent extends ContractEventName<TAbi> ? GetEventArgs<TAbi, TEvent> : Record<string, unknown>
}

/**
 * What the untyped `@onEvent({ contract, event })` passes: an event of an ABI the compiler does not
 * know. A method annotated with any `EventContext` fits; one taking another trigger's context
 * (`RequestContext`, `BlockContext`) is a compile error.
 */
// biome-ignore lint/suspicious/noExplicitAny: the ABI is unknown here, so name and args fit any typed EventContext.
type UntypedEventContext = BaseContext & { trigger: 'event'; event: Omit<DecodedEvent, 'name' | 'args'> & { name: any; args: any } }

/** `@onEvent({ contract, event })`: untyped against the config (the build still validates names). */
export function onEvent(spec: EventSpec): TriggerDecorator<UntypedEventContext>
/** `@onEvent(config, { contract, event })`: names checked by the compiler, `ctx.event.args` typed. */
export function onEvent<const TConfig extends NexusConfig, const TContract extends ContractName<TConfig>, const TEvent extends EventName<TConfig, TContract>>(
  config: TConfig,
  spec: EventSpec<ContractAbi<TConfig, TContract>, TContract, TEvent>,
): TriggerDecorator<EventContext<TConfig, TContract, TEvent>>
/** Plain form: `export const onTransfer = onEvent(config, { contract, event }, (ctx) => ...)`. */
export function onEvent<
  const TConfig extends NexusConfig,
  const TContract extends ContractName<TConfig>,
  const TEvent extends EventName<TConfig, TContract>,
  R,
>(
  config: TConfig,
  spec: EventSpec<ContractAbi<TConfig, TContract>, TContract, TEvent>,
  handler: (ctx: EventContext<TConfig, TContract, TEvent>) => R,
): (ctx: EventContext<TConfig, TContract, TEvent>) => R
export function onEvent(...args: unknown[]): unknown {
  const spec = (args.length === 1 ? args[0] : args[1]) as EventSpec
  const declaration: Declaration = {
    kind: 'event',
    contract: spec?.contract,
    event: spec?.event,
    ...(spec?.filter ? { filter: spec.filter as Record<string, unknown> } : {}),
  }
  return args.length === 3 ? plain(declaration, args[2] as Function) : decorator(declaration)
}

// ---- onBlock ---------------------------------------------------------------------------------

export type BlockSpec<TChain extends string = string> = {
  /** Fire on block numbers divisible by `every`. Default: 1 (every block). */
  every?: number
  /** A chain name from `chains`. Default: the config's only chain. */
  chain?: TChain
}

type ChainName<TConfig> = TConfig extends NexusConfig<infer C> ? Extract<keyof C, string> : string

export function onBlock(spec?: BlockSpec): TriggerDecorator<BlockContext>
export function onBlock<const TConfig extends NexusConfig>(config: TConfig, spec?: BlockSpec<ChainName<TConfig>>): TriggerDecorator<BlockContext>
export function onBlock<const TConfig extends NexusConfig, R>(
  config: TConfig,
  spec: BlockSpec<ChainName<TConfig>>,
  handler: (ctx: BlockContext) => R,
): (ctx: BlockContext) => R
export function onBlock(...args: unknown[]): unknown {
  const spec = ((args.length <= 1 ? args[0] : args[1]) ?? {}) as BlockSpec
  const declaration: Declaration = {
    kind: 'block',
    ...(spec.every !== undefined ? { every: spec.every } : {}),
    ...(spec.chain !== undefined ? { chain: spec.chain } : {}),
  }
  return args.length === 3 ? plain(declaration, args[2] as Function) : decorator(declaration)
}

// ---- onHttp ----------------------------------------------------------------------------------

export type HttpSpec = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** Path below the function's route prefix; `:name` segments become `ctx.request.params.name`. */
  path: `/${string}`
}

export function onHttp(spec: HttpSpec): TriggerDecorator<RequestContext>
export function onHttp<R>(spec: HttpSpec, handler: (ctx: RequestContext) => R): (ctx: RequestContext) => R
export function onHttp(spec: HttpSpec, handler?: Function): unknown {
  const declaration: Declaration = { kind: 'route', method: String(spec?.method ?? '').toUpperCase(), path: spec?.path }
  return handler ? plain(declaration, handler) : decorator(declaration)
}

// ---- onCron ----------------------------------------------------------------------------------

/** `@onCron('*\/5 * * * *')`: five-field cron schedule (minute hour day-of-month month day-of-week, UTC). */
export function onCron(schedule: string): TriggerDecorator<CronContext>
export function onCron<R>(schedule: string, handler: (ctx: CronContext) => R): (ctx: CronContext) => R
export function onCron(schedule: string, handler?: Function): unknown {
  const declaration: Declaration = { kind: 'cron', schedule }
  return handler ? plain(declaration, handler) : decorator(declaration)
}
