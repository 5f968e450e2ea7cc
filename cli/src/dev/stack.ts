// The stack both modes of `nexus dev` run (the repository's examples, or a project folder): keys on
// first run, anvil when a chain is named `devnet`, n replica processes and a gateway on PGlite, all
// under one state folder, and the clean stop on SIGINT/SIGTERM. What each mode deploys to it lives
// in its own file (commands/dev.ts for the examples, dev/project-stack.ts for a project).
//
// Stop order: what the mode registered with `onStop` (the watcher), then the gateway (stop
// accepting, drain what it acknowledged), then the replicas and anvil; a second signal forces. The
// children never outlive this process (each watches a lifeline to it, dev/index.ts and
// contracts/src/anvil.ts), and a start that fails midway stops what it had started.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createDatabase, createGateway, type Gateway } from '@nexus/gateway'
import { deferWasmTierUp, nexusCacheDir } from '@nexus/runtime'
import type { InboxRelayConfig } from '@nexus/gateway/inbox'
import { NexusError, type ChainSpec } from '@nexus/protocol'
import type { Network } from '@nexus/protocol/attest'
import type { Hex } from 'viem'
import { startDevnet, DEVNET_RELAYER_KEY, type Devnet } from './devnet.ts'
import { bindNetwork, ensureGatewayKey, ensureKeys, startReplicas, type ReplicaProcess } from './index.ts'
import { seconds, step, type Log } from './progress.ts'

export class DevKeysMismatchError extends NexusError {
  override name = 'DevKeysMismatchError'
  override code = 'NEXUS_DEV_KEYS_MISMATCH'
}

export type StackOptions = {
  /** State folder: keys, deploy key, gateway PGlite, replica data, devnet, build output. */
  dir: string
  /** Gateway port (0: any free one). */
  port: number
  t: number
  n: number
  devnetPort: number
  /** The chains the deployed functions follow; one named `devnet` starts anvil. */
  chains: ChainSpec[]
  log: Log
}

export type DevStack = {
  dir: string
  keysDir: string
  /** The gateway's base URL. */
  url: string
  /** The deployer key (`<dir>/deploy-api-key`, what `nexus deploy` reads next to `nexus dev`). */
  apiKey: string
  apiKeyFile: string
  network: Network
  gateway: Gateway
  replicas: ReplicaProcess[]
  devnet?: Devnet
  /** The chains as followed: the devnet's with its real chain id and RPC URL. */
  chains: ChainSpec[]
}

/** The deployer key: read from `file`, or generated there (0600) on first run. */
export async function ensureApiKey(file: string): Promise<string> {
  if (existsSync(file)) {
    await chmod(file, 0o600)
    return (await readFile(file, 'utf8')).trim()
  }
  const key = `nxs_${randomBytes(18).toString('base64url')}`
  await writeFile(file, `${key}\n`, { mode: 0o600 })
  return key
}

/** SIGINT/SIGTERM handling and the parts to stop, shared by the modes; `dispose` when done. */
export class DevLifecycle {
  replicas: ReplicaProcess[] = []
  gateway?: Gateway
  devnet?: Devnet
  private readonly closers: (() => unknown)[] = []
  private stopping?: Promise<void>
  private ready = false
  private signals = 0
  private stopRequested!: () => void
  // The gateway's PGlite opens during the start, alongside four replicas on two cores: its code is
  // optimised once the stack is ready, not while it starts (runtime: startup-tiering.ts).
  private readonly tieringRestored = deferWasmTierUp()
  /** Resolves on the first SIGINT/SIGTERM after `markReady`. */
  readonly stopSignal = new Promise<void>((resolve) => (this.stopRequested = resolve))

  constructor(private readonly log: Log) {
    process.on('SIGINT', this.onSignal)
    process.on('SIGTERM', this.onSignal)
  }

  /** Run `close` first when stopping (a watcher, before the gateway drains). */
  onStop(close: () => unknown): void {
    this.closers.push(close)
  }

  markReady(): void {
    this.ready = true
    this.tieringRestored()
  }

  /** Idempotent: what the mode registered, the gateway (drained), then replicas and anvil. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      for (const close of this.closers) await Promise.resolve(close()).catch((err: unknown) => console.error(`stopping: ${message(err)}`))
      await this.gateway?.close().catch((err: unknown) => console.error(`gateway: ${message(err)}`))
      await Promise.all(this.replicas.map((r) => r.stop()))
      await this.devnet?.stop()
    })()
    return this.stopping
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal)
    process.off('SIGTERM', this.onSignal)
  }

  private readonly onSignal = (signal: NodeJS.Signals) => {
    if (++this.signals > 1) {
      console.error(`${signal} again: forcing the stop`)
      for (const r of this.replicas) r.child.kill('SIGKILL')
      // anvil's guard sees this process exit and stops it.
      process.exit(130)
    }
    this.log(`stopping… (${signal} again to force)`)
    this.stopRequested()
    // A signal during start: stop what has started so far; nothing after this point is kept.
    if (!this.ready) void this.shutdown().finally(() => process.exit(130))
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err))

/** Keys, devnet, replicas and gateway, each registered with `life` as soon as it runs. */
export async function startStack(o: StackOptions, life: DevLifecycle): Promise<DevStack> {
  const { dir, log } = o
  const keysDir = join(dir, 'keys')
  // Keys, the deploy key, logs and state: this user's alone (the stores below lock and tighten their own).
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
  const keysStarted = performance.now()
  let { network, created } = await ensureKeys(keysDir, { t: o.t, n: o.n })
  log(created ? `generated ${o.t}-of-${o.n} keys in ${keysDir} (${seconds(performance.now() - keysStarted)})` : `reusing keys in ${keysDir}`)
  if (network.t !== o.t || network.n !== o.n)
    throw new DevKeysMismatchError(`The keys in ${keysDir} are ${network.t}-of-${network.n}, not the ${o.t}-of-${o.n} asked for.`, {
      metaMessages: [`Delete ${dir} to start over with new keys (its state goes too), or ask for ${network.t}-of-${network.n} again.`],
    })
  const apiKeyFile = join(dir, 'deploy-api-key')
  const apiKey = await ensureApiKey(apiKeyFile)

  const chains = new Map(o.chains.map((c) => [c.name, c]))
  const devnetSpec = chains.get('devnet')
  if (devnetSpec) {
    const devnet = await step(
      log,
      'starting devnet (anvil and the example contracts)',
      () => startDevnet({ dir, groupPublicKey: network.groupPublicKey as Hex, port: o.devnetPort }),
      (d) => `devnet    ${d.rpcUrl} (anvil, chain ${d.chainId}, state in ${join(dir, 'devnet')})`,
    )
    life.devnet = devnet
    chains.set('devnet', { ...devnetSpec, chainId: devnet.chainId, rpcUrl: devnet.rpcUrl })
    for (const [name, address] of Object.entries(devnet.contracts)) if (typeof address === 'string') log(`  ${name.padEnd(9)} ${address}`)
    // Results commit to (chainId, verifier): bind the network to the verifier just deployed (or
    // found), so what the replicas sign is what NexusVerifier and NexusInbox accept.
    const bound = await bindNetwork(keysDir, { chainId: String(devnet.chainId), verifier: devnet.contracts.verifier })
    network = bound.network
    if (bound.changed) log(`network bound to chain ${devnet.chainId}, verifier ${devnet.contracts.verifier}`)
  }
  // The gateway's database opens while the replicas start (this process only waits for them).
  const database = createDatabase(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : { dataDir: join(dir, 'gateway') })
  // Its failure (another stack holds the folder) is reported where the gateway awaits it.
  database.catch(() => {})
  life.onStop(() => database.then((d) => (life.gateway ? undefined : d.close())).catch(() => {}))
  // Replicas answer handlers' chain reads through the RPC of every chain that has one.
  const rpc = Object.fromEntries([...chains.values()].filter((c) => c.rpcUrl).map((c) => [String(c.chainId), c.rpcUrl]))
  // Compiles by code hash in this user's Nexus cache (not the state folder): a fresh state folder does not compile again.
  const compileCache = await nexusCacheDir('compiled')
  life.replicas = await step(
    log,
    `starting ${o.n} replicas`,
    // One compile per code hash for the whole stack, not one per replica (the same user's processes).
    () => startReplicas(dir, keysDir, o.n, undefined, { rpc, chainId: network.chainId, verifier: network.verifier, compileCache }),
    (started) => `started ${started.length} replicas`,
  )
  for (const r of life.replicas) log(`replica ${r.index}  ${r.url}`)
  const devnet = life.devnet
  // `chains` turns on the trigger service (gateway/src/triggers). Its database has been opening
  // since before the replicas; on a fresh folder the migrations and the trigger service's first
  // reads still take seconds, so the step says so.
  const gatewayKey = await ensureGatewayKey(keysDir)
  life.gateway = await step(
    log,
    'starting the gateway',
    () =>
      createGateway({
        database,
        replicas: life.replicas.map((r) => r.url),
        compileCache,
        // Generated beside the share keys on first run (0600); the replicas read the same file.
        gatewayKey,
        network,
        apiKeys: [apiKey],
        logger: (m) => log(`gateway: ${m}`),
        // What handlers log (ctx.log), as the log kept it with the attested result.
        onResult: (inv) => {
          for (const line of inv.logs) log(`${inv.functionId}#${inv.seq} ${line.level}: ${line.message}`)
        },
        chains: [...chains.values()].filter((c) => c.rpcUrl),
        inboxes: devnet ? [{ chain: 'devnet', address: devnet.contracts.inbox, relayerPrivateKey: DEVNET_RELAYER_KEY } satisfies InboxRelayConfig] : [],
      }),
    () => 'gateway started',
  )
  const port = await life.gateway.listen(o.port)
  return {
    dir,
    keysDir,
    url: `http://127.0.0.1:${port}`,
    apiKey,
    apiKeyFile,
    network,
    gateway: life.gateway,
    replicas: life.replicas,
    devnet,
    chains: [...chains.values()],
  }
}
