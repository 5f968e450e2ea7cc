// A replica in cluster mode: no gateway pushes to it. It logs in to the NATS cluster as its replica
// user, reads the ordered log on JetStream (read-only: a replica may write nothing but its own
// shares, roles.ts), applies every function's invocations in seq order (function-puller.ts) and
// publishes a signed share for each, which the gateways combine. Its durable consumer `replica-<i>`
// on the log stream wakes the function a new log message is for; a slow scan of the function list
// is the backstop. The replica's own store, not the consumer, says where each function stands.
import { jetstream } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { createJetStreamLog, createSharePublisher, type NatsCredentials, natsLogin, subjectsFor } from '@nexus/gateway/jetstream'
import type { Replica } from '@nexus/runtime'
import { type FunctionPuller, startFunctionPuller } from './function-puller.ts'
import { followLog, type LogWakeups } from './log-wakeups.ts'

export type ReplicaNodeOptions = {
  replica: Replica
  /** The cluster's servers, e.g. ['nats://127.0.0.1:4222']. */
  servers: string | string[]
  /** Log in as this replica user (`nexus cluster up` writes them). Without: no login (an open server). */
  credentials?: NatsCredentials
  /** The log's prefix. Default: 'nexus'. */
  prefix?: string
  /** How often the function list is scanned for functions no wake-up named. Default: 5000 ms. */
  scanMs?: number
  /** Heartbeat period (gateways count a replica up while heartbeats arrive). Default: 1000 ms. */
  heartbeatMs?: number
  /** Passed to each function's puller (function-puller.ts). */
  idleMs?: number
  abortPollMs?: number
  /** stderr lines. Default: console.error with the replica's index. */
  warn?: (message: string) => void
}

export type ReplicaNode = {
  /** The functions being pulled (stopped ones included), for tests and tools. */
  functions(): string[]
  /** Stop pulling, wait for every function's current seq, close the NATS connection (not the replica). */
  stop(): Promise<void>
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err))

/** Resolves once the node follows the log (its consumer is running). */
export async function startReplicaNode(options: ReplicaNodeOptions): Promise<ReplicaNode> {
  const { replica } = options
  const index = replica.index
  const warn = options.warn ?? ((m: string) => console.error(`[replica ${index}] ${m}`))
  const subjects = subjectsFor(options.prefix ?? 'nexus')
  const login = options.credentials ? natsLogin(options.credentials) : {}
  const nc: NatsConnection = await connect({ servers: options.servers, maxReconnectAttempts: -1, ...login })
  let running = true
  const pullers = new Map<string, FunctionPuller>()
  const timers: NodeJS.Timeout[] = []
  let wakeups: LogWakeups | undefined
  try {
    const { log } = await createJetStreamLog({ nc, prefix: options.prefix, readOnly: true })
    const js = jetstream(nc)
    const publisher = createSharePublisher({ nc, js, subjects, index })

    const pull = (functionId: string) => {
      const existing = pullers.get(functionId)
      if (existing) return existing.wake()
      const puller = startFunctionPuller({
        functionId,
        replica,
        log,
        publisher,
        isRunning: () => running,
        warn,
        idleMs: options.idleMs,
        abortPollMs: options.abortPollMs,
      })
      pullers.set(functionId, puller)
      puller.done.catch((err: unknown) => warn(`${functionId}: puller ended: ${messageOf(err)}`))
    }
    const scan = async () => {
      try {
        for (const fn of await log.listFunctions()) pull(fn.id)
      } catch (err) {
        warn(`scanning the function list failed (${messageOf(err)}); the next scan tries again`)
      }
    }

    const heartbeat = () => {
      try {
        if (running && !nc.isClosed()) publisher.alive()
      } catch {} // a connection closing under it: the next beat (or the stop) settles it
    }
    heartbeat()
    timers.push(setInterval(heartbeat, options.heartbeatMs ?? 1000))
    // The consumer first: a login that may not use it (another replica's) is refused before anything runs.
    wakeups = await followLog({ nc, subjects, index, wake: pull, warn })
    await scan()
    timers.push(setInterval(() => void scan(), options.scanMs ?? 5000))
  } catch (err) {
    running = false
    for (const t of timers) clearInterval(t)
    await nc.close().catch(() => {})
    throw err
  }

  return {
    functions: () => [...pullers.keys()],
    async stop() {
      running = false
      for (const t of timers) clearInterval(t)
      await wakeups?.close()
      for (const p of pullers.values()) p.wake()
      await Promise.allSettled([...pullers.values()].map((p) => p.done))
      await nc.close().catch(() => {})
    },
  }
}
