// Cluster mode's parts for createGateway: the log on NATS JetStream shared by every gateway, one
// share client per replica (replicas pull the log and publish their shares, share-client.ts), and
// the follower that hands this gateway the invocations other gateways appended (log-follower.ts).
// docs/cluster.md, "Stateless gateways", says what stays on each gateway's local database.
import { jetstreamManager } from '@nats-io/jetstream'
import type { Log } from '../log/index.ts'
import { createJetStreamLog, createShareInbox, type NatsCredentials, subjectsFor } from '../log/jetstream/index.ts'
import type { ReplicaClient } from '../replicas/index.ts'
import type { Scheduler } from '../scheduler/index.ts'
import { createLogFollower, logMark, type LogFollower } from './log-follower.ts'
import { createShareClient } from './share-client.ts'

export type ClusterOptions = {
  /** The NATS servers of the cluster, e.g. ['nats://10.0.0.1:4222', …]. */
  servers: string | string[]
  /** Log in as this gateway user (`gateway-<k>`, auth-config.ts). Default: no login. */
  credentials?: NatsCredentials
  /** Names the streams and roots the subjects. Default: 'nexus'. */
  prefix?: string
  /** Copies of each stream when this gateway is the first to create them (3 in a 3-node cluster). Default: 1. */
  streamReplicas?: number
  /**
   * Run what must not run on two gateways at once: the NexusInbox relays, which send fulfil
   * transactions. Exactly one gateway of a cluster is started with it. Default: false.
   */
  leader?: boolean
  /** How long to wait for one replica's share before backing off, ms. Default: 10_000. */
  shareTimeoutMs?: number
}

export { UnavailableInClusterModeError } from '../errors.ts'
export { createShareClient } from './share-client.ts'

export type ClusterParts = {
  log: Log
  replicas: ReplicaClient[]
  /** The log stream's position before the scheduler loaded what is pending; pass it to `follow`. */
  mark: number
  /** Start following the log (after `scheduler.start()`). */
  follow(scheduler: Scheduler, onEvent?: (message: string) => void): Promise<void>
  /** End the share waits in progress (before `scheduler.stop()`, so its loops stop at once). */
  stopWaiting(): void
  close(): Promise<void>
}

/** Connect to the cluster: `n` share clients (replica 1..n), the shared log, the follower to start later. */
export async function openCluster(options: ClusterOptions, n: number): Promise<ClusterParts> {
  const subjects = subjectsFor(options.prefix ?? 'nexus')
  const jetStreamLog = await createJetStreamLog({
    servers: options.servers,
    credentials: options.credentials,
    prefix: options.prefix,
    replicas: options.streamReplicas,
  })
  const { nc, log } = jetStreamLog
  try {
    const inbox = createShareInbox({ nc, jsm: await jetstreamManager(nc), subjects })
    let stopWaiting!: () => void
    const stopped = new Promise<void>((resolve) => (stopWaiting = resolve))
    const replicas = Array.from({ length: n }, (_, k) => createShareClient({ index: k + 1, inbox, timeoutMs: options.shareTimeoutMs, stopped }))
    const mark = await logMark(nc, subjects)
    let follower: LogFollower | undefined
    return {
      log,
      replicas,
      mark,
      async follow(scheduler, onEvent) {
        follower = createLogFollower({ nc, log, scheduler, subjects, onEvent })
        await follower.start(mark)
      },
      stopWaiting,
      async close() {
        stopWaiting()
        await follower?.stop()
        inbox.close()
        await jetStreamLog.close()
      },
    }
  } catch (err) {
    await jetStreamLog.close()
    throw err
  }
}
