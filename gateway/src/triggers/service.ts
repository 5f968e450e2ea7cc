// The trigger service: one polling loop per configured chain. Each round reads the head (the
// follower links it to the canonical chain and notices reorgs), works out the final block, and
// moves every sink's cursor up to it: fetch logs/headers, check each log against the canonical
// header of its block, append the invocations in runs of up to APPEND_RUN per log transaction
// (idempotent by (chainId, blockHash, logIndex) or (chainId, blockNumber)), then persist the cursor. A crash between append and cursor write
// re-delivers on restart and the log's idempotency key absorbs it: every trigger exactly once.
import type { ChainSpec, TriggerSpec } from '@nexus/protocol'
import { manifestTriggers } from '@nexus/protocol'
import type { Db } from '../database/index.ts'
import type { Log } from '../log/index.ts'
import type { Scheduler } from '../scheduler/index.ts'
import { createCursors } from './cursors.ts'
import { ChainConfigError, StaleViewError } from './errors.ts'
import { createFollower } from './follower.ts'
import { createChainRpc, type ChainRpc } from './rpc.ts'
import { FIRST_LOG_STEP, MAX_LOG_STEP, nextLogStep } from './log-step.ts'
import { blockSink, eventSink, type BlockSink, type LogSink, type Sink } from './sinks.ts'

export type CreateTriggerServiceParameters = {
  db: Db
  log: Log
  scheduler: Scheduler
  chains: ChainSpec[]
  /** Sinks that do not come from function manifests (the inbox relay), per chain id. */
  extraSinks?: (chainId: number) => Sink[]
  logger?: (message: string) => void
}

export type TriggerService = ReturnType<typeof createTriggerService>

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })

/** Let timers and I/O run: an embedded database can resolve a long run of appends without ever yielding. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Most invocations appended in one log transaction. One commit per event was most of the gateway's
 * CPU in a backfill; a run this long is still a small transaction (≈ 1 MB of inputs).
 */
const APPEND_RUN = 1000
/** Block headers fetched (and then appended) at once for a block trigger. */
const HEADER_RUN = 200

/**
 * Blocks moved per cursor step of a block sink: the cursor is persisted after each step, so a crash
 * loses little work. An event sink's step adapts to its logs (log-step.ts), up to the same.
 */
const STEP_BLOCKS = MAX_LOG_STEP

export function createTriggerService(p: CreateTriggerServiceParameters) {
  const logger = p.logger ?? (() => {})
  const cursors = createCursors(p.db)
  const abort = new AbortController()
  const loops: Promise<void>[] = []
  const chainStatus = new Map<number, ReturnType<typeof chainLoop>['status']>()

  for (const chain of p.chains) {
    const f = chain.finality ?? { confirmations: 2 }
    if (typeof f === 'object' && !(Number.isInteger(f.confirmations) && f.confirmations >= 0))
      throw new ChainConfigError(`chain "${chain.name}": finality.confirmations must be a non-negative integer`)
  }

  function chainLoop(chain: ChainSpec) {
    const rpc: ChainRpc = createChainRpc({
      rpcUrl: chain.rpcUrl,
      maxLogRange: chain.maxLogRange,
      signal: abort.signal,
      onRetry: (m) => logger(`[${chain.name}] retry: ${m}`),
    })
    const follower = createFollower({ rpc, finality: chain.finality ?? { confirmations: 2 } })
    const chainId = BigInt(chain.chainId)
    const interval = chain.pollingIntervalMs ?? (chain.name === 'devnet' ? 250 : 1000)
    const manifests = new Map<string, TriggerSpec[]>()
    const position = new Map<string, bigint>()
    /** Each event sink's blocks per getLogs (log-step.ts). */
    const logSteps = new Map<string, bigint>()
    const state = { head: null as string | null, final: null as string | null, rounds: 0, delivered: 0, errors: 0, lastError: null as string | null }

    async function loadSinks(): Promise<Sink[]> {
      const sinks: Sink[] = []
      for (const fn of await p.log.listFunctions()) {
        let triggers = manifests.get(fn.codeHash)
        if (!triggers) {
          // The manifest alone: the artifact's row also holds the component (≈ 2 MB of base64).
          const manifest = await p.log.getManifest(fn.codeHash)
          triggers = manifest ? manifestTriggers(manifest) : []
          manifests.set(fn.codeHash, triggers)
        }
        for (const t of triggers) {
          if (t.kind === 'event' && t.chainId === chain.chainId) sinks.push(eventSink(p, fn.id, t))
          if (t.kind === 'block' && t.chainId === chain.chainId) sinks.push(blockSink(p, fn.id, t))
        }
      }
      return [...sinks, ...(p.extraSinks?.(chain.chainId) ?? [])]
    }

    /** Delivers the logs of blocks from..to: how many there were, or false when stopped part-way. */
    async function deliverLogs(sink: LogSink, from: bigint, to: bigint): Promise<number | false> {
      const logs = await rpc.getLogs(sink.filter, from, to)
      const headers = await follower.headers([...new Set(logs.map((l) => l.blockNumber))])
      // Check the whole batch before delivering any of it: all of it is on the chain we follow.
      for (const l of logs)
        if (headers.get(l.blockNumber)?.hash !== l.blockHash)
          throw new StaleViewError(`log ${l.blockHash}#${l.logIndex} is not on the canonical block ${l.blockNumber}`)
      for (let i = 0; i < logs.length; i += APPEND_RUN) {
        if (abort.signal.aborted) return false
        const run = logs.slice(i, i + APPEND_RUN)
        await sink.deliver(run.map((l) => ({ log: l, header: headers.get(l.blockNumber)! })))
        state.delivered += run.length
        await yieldToEventLoop()
      }
      return logs.length
    }

    async function deliverBlocks(sink: BlockSink, from: bigint, to: bigint) {
      const numbers: bigint[] = []
      for (let n = from + ((sink.every - (from % sink.every)) % sink.every); n <= to; n += sink.every) numbers.push(n)
      for (let i = 0; i < numbers.length; i += HEADER_RUN) {
        const run = numbers.slice(i, i + HEADER_RUN)
        const headers = await follower.headers(run)
        if (abort.signal.aborted) return false
        await sink.deliver(run.map((n) => headers.get(n)!))
        state.delivered += run.length
        await yieldToEventLoop()
      }
      return true
    }

    async function round() {
      const { head, final, orphaned } = await follower.advance()
      if (orphaned > 0) logger(`[${chain.name}] reorg: ${orphaned} block(s) orphaned below head ${head.number}`)
      state.head = head.number.toString()
      state.final = final.toString()
      for (const sink of await loadSinks()) {
        let cursor: bigint | undefined = position.get(sink.key) ?? (await cursors.get(chainId, sink.key))
        if (cursor === undefined) {
          cursor = sink.startBlock !== undefined ? sink.startBlock - 1n : head.number - 1n
          await cursors.set(chainId, sink.key, cursor)
        }
        let at: bigint = cursor
        position.set(sink.key, at)
        while (at < final && !abort.signal.aborted) {
          const step = sink.kind === 'log' ? (logSteps.get(sink.key) ?? FIRST_LOG_STEP) : STEP_BLOCKS
          const to: bigint = at + step < final ? at + step : final
          let done: boolean
          if (sink.kind === 'log') {
            const logs = await deliverLogs(sink, at + 1n, to)
            done = logs !== false
            if (logs !== false) logSteps.set(sink.key, nextLogStep(step, logs, APPEND_RUN))
          } else done = await deliverBlocks(sink, at + 1n, to)
          if (!done) return
          await cursors.set(chainId, sink.key, to)
          position.set(sink.key, (at = to))
        }
      }
      state.rounds++
    }

    const loop = (async () => {
      while (!abort.signal.aborted) {
        // Rounds start every `interval` ms, not `interval` after the last one ended: a block mined
        // just after a round waits one interval, not an interval plus the round (RPC, appends).
        const started = performance.now()
        let pause = interval
        try {
          await round()
          pause = Math.max(0, interval - (performance.now() - started))
        } catch (err) {
          state.errors++
          state.lastError = err instanceof Error ? err.message.split('\n')[0]! : String(err)
          logger(`[${chain.name}] round failed (will retry from the cursor): ${state.lastError}`)
        }
        await sleep(pause, abort.signal)
      }
    })()
    return {
      loop,
      status: () => ({
        chain: chain.name,
        chainId: chain.chainId,
        ...state,
        ...follower.status(),
        cursors: Object.fromEntries([...position].map(([k, v]) => [k, v.toString()])),
      }),
    }
  }

  return {
    start() {
      for (const chain of p.chains) {
        const c = chainLoop(chain)
        loops.push(c.loop)
        chainStatus.set(chain.chainId, c.status)
      }
    },
    /** Per chain: head, final block, reorgs seen, deliveries, cursors. */
    status() {
      return [...chainStatus.values()].map((s) => s())
    },
    async stop() {
      abort.abort()
      await Promise.allSettled(loops)
    },
  }
}
