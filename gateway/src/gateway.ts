// Wires the gateway: database → log → scheduler (replica clients) → HTTP app. close() is the clean
// stop: stop accepting (HTTP, cron, chains), answer what is in flight, let the scheduler settle
// what was acknowledged (bounded), then close the database.
// Cluster mode (`cluster`, docs/cluster.md "Stateless gateways"): the log is on NATS JetStream and
// shared by every gateway, replicas pull it and publish their shares, and the local database keeps
// only what is this gateway's own (trigger cursors).
import { createNodeServer, type HttpLimits, type NodeServer } from './server/node-server.ts'
import type { Hono } from 'hono'
import type { Network } from '@nexus/protocol/attest'
import { createDatabase, type CreateDatabaseParameters, type Database } from './database/index.ts'
import { createLog, type Invocation, type Log } from './log/index.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { createReplicaClient, type ReplicaClient } from './replicas/index.ts'
import { createScheduler, type Scheduler } from './scheduler/index.ts'
import { loadWasmCurve, type WasmCurve } from '@nexus/protocol/attest'
import { createApp, type CreateAppParameters } from './server/app.ts'
import type { StoredArtifact } from './server/deploy.ts'
import { createCronTicker, type CronTicker } from './cron/index.ts'
import type { ChainSpec } from '@nexus/protocol'
import type { InboxRelay, InboxRelayConfig } from './inbox/index.ts'
import { createChainServices, type TriggerService } from './triggers/index.ts'
import type { ClusterOptions, ClusterParts } from './cluster/index.ts'

export type CreateGatewayParameters = {
  /**
   * Where the gateway keeps its log and results, or a database being opened by the caller
   * (`createDatabase`; `nexus dev` opens it while its replicas start). The gateway closes it.
   */
  database?: CreateDatabaseParameters | Promise<Database>
  /** Replica base URLs, index i+1 for entry i. Not used in cluster mode (replicas pull the log). */
  replicas?: string[]
  /**
   * Cluster mode: the log on NATS JetStream, shared with the other gateways; replicas 1..network.n
   * answer through their shares. Without it: the SQL log, replicas called over HTTP.
   */
  cluster?: ClusterOptions
  /**
   * The compile cache the replicas share when they run on this machine as this user (`nexus dev`):
   * the deploy check's compile is written there, so the replicas find a new function compiled.
   */
  compileCache?: string
  /** The secret the replicas authenticate this gateway by (docs/protocol.md, "Trust model"); at least 16 bytes. Not used in cluster mode. */
  gatewayKey?: Uint8Array
  network: Network
  /** Deployer API keys. */
  apiKeys: string[]
  /** Admin keys: may also repoint functions other keys created (docs/gateway.md, "Ownership"). Default: none. */
  adminKeys?: string[]
  limits?: CreateAppParameters['limits']
  /** Log line sink. Default: no logging. */
  logger?: (message: string) => void
  /** Called with each invocation once its attested result (and the handler's log lines) is in the log. */
  onResult?: (invocation: Invocation) => void
  /**
   * Batched attestation limits (docs/gateway.md). Default: 256 invocations per batch, growing toward
   * 1024 while a backlog attests within 3 s a batch (scheduler/batch-size.ts); 16 MiB per batch.
   */
  batching?: { maxBatch?: number; maxBatchBacklog?: number; batchTargetMs?: number; maxBatchBytes?: number }
  /**
   * Check a single invocation's combined signature before answering its synchronous caller (~15 ms
   * more on a 2-core machine). Default: false — answer when t shares combine, check before recording.
   */
  verifyBeforeAnswer?: boolean
  /**
   * How long combined signatures wait to be checked together (one pairing for the group), ms.
   * Default: 200 (0 with verifyBeforeAnswer).
   */
  checkDelayMs?: number
  /**
   * A single invocation goes to the first t replicas at once and to the other n − t once those
   * answered, one failed, or after this many ms (0: all at once). Default: 50.
   */
  hedgeMs?: number
  /**
   * A spare applies invocations attested without it later, in one batch, while the function is
   * busy, waiting at most this many ms (0: at once, one by one). Default: 200.
   */
  spareCatchUpMs?: number
  /** How long a function must be quiet before a spare catches up early, ms. Default: 10. */
  spareQuietMs?: number
  /** Most seqs a batch spare lets the head get ahead of it while it waits out a backlog. Default: 16,384. */
  spareMaxLag?: number
  /**
   * The WebAssembly curve operations for combining and checking, as a promise: noble until it
   * resolves (the same results). Default: built 1 s after the start (≈ 0.5 s of JavaScript on this
   * thread, kept off the start).
   */
  curve?: Promise<WasmCurve | undefined>
  /** Cron ticker for @onCron functions (gateway/src/cron). Default: on, checking every 1000 ms. */
  cron?: { intervalMs?: number; maxCatchUp?: number } | false
  /** Nexus Zero routes, mounted under /v1/zk (`createZkService` from gateway/src/zk; the caller closes it). */
  zk?: { app: Hono }
  /** Chains whose events and blocks trigger deployed functions (docs/triggers.md). Default: none. */
  chains?: ChainSpec[]
  /** NexusInbox relays: requests on these inboxes become invocations, results are fulfilled. Default: none. */
  inboxes?: InboxRelayConfig[]
  /** Timeouts and connection cap of the HTTP server (gateway/src/server/node-server.ts). */
  http?: HttpLimits
  /**
   * close(): how long requests in flight may take to be answered, and then how long acknowledged
   * invocations may take to settle, ms each; what is left stays pending in the log for the next
   * start. Default: 10_000.
   */
  stopGraceMs?: number
}

export type Gateway = {
  app: Hono
  log: Log
  database: Database
  scheduler: Scheduler
  metrics: Metrics
  replicas: ReplicaClient[]
  /** The trigger service, when `chains` were given. */
  triggers?: TriggerService
  inboxes: InboxRelay[]
  /** The cron ticker (undefined when `cron: false`). */
  cron?: CronTicker
  /** Start an HTTP server; resolves with the bound port, rejects if it cannot bind (nothing left listening). */
  listen(port?: number, hostname?: string): Promise<number>
  /** Stop accepting at once (503 to requests still arriving on open connections); close() does this first. */
  stopAccepting(): void
  /** The clean stop (see the top of this file). Idempotent. */
  close(): Promise<void>
}

/** @example const gw = await createGateway({ replicas, network, apiKeys: ['dev'] }); await gw.listen(8787) */
export async function createGateway(p: CreateGatewayParameters): Promise<Gateway> {
  const urls = p.replicas ?? []
  if (!p.cluster && urls.length !== p.network.n) throw new Error(`network has n = ${p.network.n} but ${urls.length} replica URLs were given`)
  if (!p.cluster && !p.gatewayKey) throw new Error('gatewayKey is required (the secret the replicas authenticate this gateway by)')
  const database = await (p.database instanceof Promise ? p.database : createDatabase(p.database))
  let cluster: ClusterParts | undefined
  // A start that fails after the database opened must not keep it (and its lock) open.
  const closeOnFailure = <T>(step: Promise<T>) =>
    step.catch(async (err: unknown) => {
      await cluster?.close().catch(() => {})
      await database.close().catch(() => {})
      throw err
    })
  // Loaded only in cluster mode: the NATS client is ≈ 30 modules a single-machine gateway never uses.
  if (p.cluster) cluster = await closeOnFailure(import('./cluster/index.ts').then(({ openCluster }) => openCluster(p.cluster!, p.network.n)))
  const log = cluster?.log ?? createLog({ db: database.db })
  const metrics = createMetrics()
  const replicas = cluster?.replicas ?? urls.map((url, i) => createReplicaClient({ index: i + 1, url, gatewayKey: p.gatewayKey! }))
  // The WebAssembly curve (≈ 0.5 s of JavaScript to build) is built after the start, while the
  // scheduler uses noble; it runs on this thread, so it waits until the start's work is done.
  let curveTimer: NodeJS.Timeout | undefined
  const curve =
    p.curve ??
    new Promise<WasmCurve | undefined>((resolve) => {
      curveTimer = setTimeout(() => void loadWasmCurve(p.logger).then(resolve), 1000)
      curveTimer.unref()
    })
  const scheduler = createScheduler({
    log,
    replicas,
    network: p.network,
    metrics,
    onEvent: p.logger,
    onResult: p.onResult,
    verifyBeforeAnswer: p.verifyBeforeAnswer,
    checkDelayMs: p.checkDelayMs,
    hedgeMs: p.hedgeMs,
    spareCatchUpMs: p.spareCatchUpMs,
    spareQuietMs: p.spareQuietMs,
    spareMaxLag: p.spareMaxLag,
    curve,
    ...p.batching,
    // Every replica applies every seq and signs each one alone (a share is one invocation's): no
    // batches, no spares held back.
    ...(cluster ? { maxBatch: 1, maxBatchBacklog: 1, hedgeMs: 0, spareCatchUpMs: 0 } : {}),
  })
  // The deploy hands over what it stored: reading the ≈ 2 MB row back would only delay the push.
  const pushArtifact = async (artifact: StoredArtifact) => {
    if (cluster) return // replicas read artifacts from the log
    await Promise.all(replicas.map((r) => r.pushArtifact(artifact.manifest, artifact.component).catch((err: unknown) => p.logger?.(String(err)))))
  }
  const app = createApp({
    log,
    scheduler,
    metrics,
    replicas,
    threshold: p.network.t,
    apiKeys: p.apiKeys,
    adminKeys: p.adminKeys,
    limits: p.limits,
    onArtifact: (artifact) => void pushArtifact(artifact),
    compileCache: p.compileCache,
  })
  if (p.zk) app.route('/v1/zk', p.zk.app)
  await closeOnFailure(scheduler.start())
  // A follower that cannot start (a permission, a lost cluster) stops the lanes just started too.
  if (cluster) await closeOnFailure(cluster.follow(scheduler, p.logger).catch((err: unknown) => scheduler.stop().then(() => Promise.reject(err))))
  // Cluster mode: every gateway ticks (the log dedupes each tick by its key) and follows the chains
  // (trigger appends carry idempotency keys the log dedupes forever), each from its own cursors;
  // only the leader relays inboxes, whose fulfil transactions must not be sent twice.
  const cron =
    p.cron === false
      ? undefined
      : createCronTicker({ log, db: cluster ? undefined : database.db, submit: (i) => scheduler.submit(i), onEvent: p.logger, ...p.cron })
  cron?.start()
  const inboxes = cluster && !p.cluster?.leader ? [] : p.inboxes
  if (p.inboxes?.length && inboxes !== p.inboxes) p.logger?.('inbox relays run only on the cluster leader (--leader): not relaying here')
  const chainServices = createChainServices({ db: database.db, log, scheduler, chains: p.chains, inboxes, logger: p.logger })
  chainServices.start()
  let server: NodeServer | undefined
  const graceMs = p.stopGraceMs ?? 10_000
  let closing: Promise<void> | undefined
  const stopAccepting = () => server?.stopAccepting()
  return {
    app,
    log,
    database,
    scheduler,
    metrics,
    replicas,
    triggers: chainServices.triggers,
    inboxes: chainServices.inboxes,
    listen(port = 0, hostname = '127.0.0.1') {
      server = createNodeServer(app.fetch, p.http)
      return server.listen(port, hostname)
    },
    cron,
    stopAccepting,
    close: () =>
      (closing ??= (async () => {
        clearTimeout(curveTimer)
        stopAccepting()
        await cron?.stop()
        await chainServices.stop()
        await server?.close(graceMs)
        if (!(await scheduler.drain(graceMs))) p.logger?.(`stopping with invocations still pending after ${graceMs} ms; they run after the next start`)
        cluster?.stopWaiting()
        await scheduler.stop()
        await cluster?.close()
        await database.close()
      })()),
  }
}
