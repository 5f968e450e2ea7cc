// Type tests (vitest typecheck): handler contexts are typed from the ABI in nexus.config.ts, the
// way Ponder's `ponder.on` is, and wrong names are compile errors before the build even runs.
import { describe, expectTypeOf, test } from 'vitest'
import { erc20Abi, type Address, type Hex } from 'viem'
import { defineConfig } from '../config/define.ts'
import { onBlock, onCron, onEvent, onHttp } from '../decorators/triggers.ts'
import type { BlockContext, CronContext, EventContext, HttpContext, KvListPage, RequestContext } from './types.ts'

const config = defineConfig({
  chains: { devnet: { chainId: 31337 }, mainnet: { chainId: 1, rpcUrl: 'https://eth.example' } },
  contracts: { Token: { chain: 'devnet', address: '0x5FbDB2315678afecb367f032d93F642f64180aa3', abi: erc20Abi } },
})

describe('defineConfig', () => {
  test('keeps contract names and the ABI as literals', () => {
    expectTypeOf(config.contracts!.Token.abi).toEqualTypeOf<typeof erc20Abi>()
    expectTypeOf(config.contracts!.Token.chain).toEqualTypeOf<'devnet'>()
  })
  test('a contract on an unknown chain is an error', () => {
    defineConfig({
      chains: { devnet: { chainId: 31337 } },
      // @ts-expect-error 'goerli' is not in chains
      contracts: { T: { chain: 'goerli', address: '0x5FbDB2315678afecb367f032d93F642f64180aa3', abi: erc20Abi } },
    })
  })
})

describe('plain form: ctx is inferred', () => {
  test('event args come from the ABI', () => {
    onEvent(config, { contract: 'Token', event: 'Transfer' }, (ctx) => {
      expectTypeOf(ctx.event.args).toEqualTypeOf<{ from: Address; to: Address; value: bigint }>()
      expectTypeOf(ctx.event.name).toEqualTypeOf<'Transfer'>()
      expectTypeOf(ctx.event.log.blockNumber).toEqualTypeOf<bigint>()
      expectTypeOf(ctx.event.log.blockHash).toEqualTypeOf<Hex>()
      expectTypeOf(ctx.kv.getJson<number>('n')).toEqualTypeOf<number | undefined>()
    })
    onEvent(config, { contract: 'Token', event: 'Approval' }, (ctx) => {
      expectTypeOf(ctx.event.args).toEqualTypeOf<{ owner: Address; spender: Address; value: bigint }>()
    })
  })
  test('unknown contract or event names are compile errors', () => {
    // @ts-expect-error no event Transfers in the ERC-20 ABI
    onEvent(config, { contract: 'Token', event: 'Transfers' }, () => {})
    // @ts-expect-error no contract Tokn in the config
    onEvent(config, { contract: 'Tokn', event: 'Transfer' }, () => {})
  })
  test('filters take indexed arguments only', () => {
    onEvent(config, { contract: 'Token', event: 'Transfer', filter: { to: '0x70997970c51812dc3a010c7d01b50e20d17dc79c' } }, () => {})
    // @ts-expect-error value is not indexed
    onEvent(config, { contract: 'Token', event: 'Transfer', filter: { value: 1n } }, () => {})
  })
  test('block, route and cron contexts', () => {
    onBlock(config, { every: 5, chain: 'mainnet' }, (ctx) => expectTypeOf(ctx.block.number).toEqualTypeOf<bigint>())
    // @ts-expect-error unknown chain
    onBlock(config, { chain: 'goerli' }, () => {})
    onHttp({ method: 'GET', path: '/balance/:addr' }, (ctx) => expectTypeOf(ctx.request.params).toEqualTypeOf<Record<string, string>>())
    onCron('*/5 * * * *', (ctx) => expectTypeOf(ctx.tick.scheduledAtMs).toEqualTypeOf<bigint>())
  })
})

describe('decorator form: the method must take the trigger context', () => {
  test('matching and mismatching methods', () => {
    class Handlers {
      @onEvent(config, { contract: 'Token', event: 'Transfer' })
      transfer(ctx: EventContext<typeof config, 'Token', 'Transfer'>) {
        expectTypeOf(ctx.event.args.value).toEqualTypeOf<bigint>()
        return ctx.event.args.to
      }

      // @ts-expect-error a method written for Approval args cannot handle Transfer events
      @onEvent(config, { contract: 'Token', event: 'Transfer' })
      approval(ctx: EventContext<typeof config, 'Token', 'Approval'>) {
        return ctx.event.args.spender
      }

      @onBlock({ every: 5 })
      block(ctx: BlockContext) {
        return ctx.block.hash
      }

      // @ts-expect-error a block handler cannot take a request context
      @onBlock({ every: 5 })
      notBlock(ctx: RequestContext) {
        return ctx.request.path
      }

      @onHttp({ method: 'GET', path: '/x' })
      @onCron('0 * * * *')
      both(ctx: RequestContext | CronContext) {
        return ctx.trigger === 'cron' ? ctx.tick.schedule : ctx.request.method
      }

      // Untyped form: names are checked by `nexus build` instead.
      @onEvent({ contract: 'Token', event: 'Transfer' })
      loose(ctx: EventContext) {
        return ctx.event.name
      }

      @onEvent({ contract: 'Token', event: 'Transfer' })
      looseTyped(ctx: EventContext<typeof config, 'Token', 'Transfer'>) {
        return ctx.event.args.value
      }

      // @ts-expect-error an untyped @onEvent still passes an event context, not a request context
      @onEvent({ contract: 'Token', event: 'Transfer' })
      looseWrong(ctx: RequestContext) {
        return ctx.request.path
      }

      // @ts-expect-error an @onHttp method takes the request context
      @onHttp({ method: 'GET', path: '/y' })
      httpWrong(ctx: EventContext) {
        return ctx.event.name
      }

      @onHttp({ method: 'GET', path: '/z' })
      httpAlias(ctx: HttpContext) {
        expectTypeOf(ctx).toEqualTypeOf<RequestContext>()
        return ctx.request.path
      }
    }
    expectTypeOf(new Handlers().transfer).returns.toEqualTypeOf<Address>()
  })
})

describe('the context API users reach for (issue 17)', () => {
  test('request: Fetch-like headers, query, json, text', () => {
    onHttp({ method: 'POST', path: '/items/:id' }, async (ctx) => {
      expectTypeOf(ctx.request.headers.get('content-type')).toEqualTypeOf<string | null>()
      expectTypeOf(ctx.request.headers.has('x-a')).toEqualTypeOf<boolean>()
      expectTypeOf([...ctx.request.headers]).toEqualTypeOf<[string, string][]>()
      expectTypeOf(ctx.request.query.get('q')).toEqualTypeOf<string | null>()
      expectTypeOf(ctx.request.query.getAll('tag')).toEqualTypeOf<string[]>()
      // The old `[name, value][]` form is one spread away.
      expectTypeOf([...ctx.request.query]).toEqualTypeOf<[string, string][]>()
      expectTypeOf(await ctx.request.json<{ n: number }>()).toEqualTypeOf<{ n: number }>()
      expectTypeOf(await ctx.request.text()).toEqualTypeOf<string>()
      expectTypeOf(ctx.request.body).toEqualTypeOf<Uint8Array>()
      expectTypeOf(ctx.request.url).toEqualTypeOf<string>()
      // @ts-expect-error headers are read-only
      ctx.request.headers.set('x', 'y')
    })
  })
  test('kv: strings or bytes in, bytes out, list pages', () => {
    onCron('0 * * * *', (ctx) => {
      ctx.kv.set('a', 'text')
      ctx.kv.set('b', new Uint8Array([1]))
      // @ts-expect-error numbers are not stored as is: use setJson
      ctx.kv.set('c', 1)
      expectTypeOf(ctx.kv.get('a')).toEqualTypeOf<Uint8Array | undefined>()
      expectTypeOf(ctx.kv.list('item/', { limit: 10, cursor: 'item/3' })).toEqualTypeOf<KvListPage>()
      expectTypeOf(ctx.kv.list({ prefix: 'item/' }).cursor).toEqualTypeOf<string | undefined>()
      expectTypeOf(ctx.kv.list().entries).toEqualTypeOf<[string, Uint8Array][]>()
      expectTypeOf(ctx.kv.scan('item/')).toEqualTypeOf<[string, Uint8Array][]>()
    })
  })
  test('env: now, date, random (and the old randomBytes)', () => {
    onCron('0 * * * *', (ctx) => {
      expectTypeOf(ctx.env.now()).toEqualTypeOf<bigint>()
      expectTypeOf(ctx.env.date()).toEqualTypeOf<Date>()
      expectTypeOf(ctx.env.random(8)).toEqualTypeOf<Uint8Array>()
      expectTypeOf(ctx.env.randomBytes(8)).toEqualTypeOf<Uint8Array>()
    })
  })
})
