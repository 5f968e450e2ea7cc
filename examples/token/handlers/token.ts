// Handlers of the token example. Each decorated method becomes its own function (component) with
// its own KV state, so triggers that must share state decorate the same method: `balances`
// indexes Transfer events and answers GET /balance/:addr from the same KV.
import { onBlock, onCron, onEvent, onHttp, type BlockContext, type CronContext, type EventContext, type RequestContext } from '@nexus/framework/decorators'
import config from '../nexus.config.ts'

type TransferContext = EventContext<typeof config, 'Token', 'Transfer'>

const zero = '0x0000000000000000000000000000000000000000'
const balanceKey = (address: string) => `balance/${address.toLowerCase()}`

export class TokenIndexer {
  @onEvent(config, { contract: 'Token', event: 'Transfer' })
  @onHttp({ method: 'GET', path: '/balance/:addr' })
  balances(ctx: TransferContext | RequestContext) {
    if (ctx.trigger === 'route') {
      const address = ctx.request.params.addr!
      return { address: address.toLowerCase(), balance: ctx.kv.getString(balanceKey(address)) ?? '0' }
    }
    const { from, to, value } = ctx.event.args
    const move = (address: string, delta: bigint) => {
      if (address === zero) return // mints and burns have no zero-address balance
      const next = BigInt(ctx.kv.getString(balanceKey(address)) ?? '0') + delta
      ctx.kv.setString(balanceKey(address), next.toString())
    }
    move(from, -value)
    move(to, value)
    ctx.log.info(`Transfer ${from} -> ${to}: ${value} (block ${ctx.event.log.blockNumber})`)
    return { from, to, value, block: ctx.event.log.blockNumber }
  }

  @onBlock({ every: 5 })
  checkpoints(ctx: BlockContext) {
    const count = (ctx.kv.getJson<number>('count') ?? 0) + 1
    ctx.kv.setJson('count', count)
    ctx.kv.setJson(`block/${ctx.block.number.toString().padStart(12, '0')}`, { hash: ctx.block.hash, timestamp: ctx.block.timestamp })
    return { block: ctx.block.number, checkpoints: count }
  }

  @onCron('*/5 * * * *')
  heartbeat(ctx: CronContext) {
    ctx.kv.setString('last-tick', ctx.tick.scheduledAtMs.toString())
    return { tick: ctx.tick.scheduledAtMs }
  }
}
