// Fixture of the chain-trigger e2e tests: anvil, a 3-of-4 replica set keyed for a chain (and a
// verifier address, for the inbox), gateways with `chains`, and artifacts with manifest triggers.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { getAbiItem, pad, toEventSelector, zeroAddress, type Address, type Hex } from 'viem'
import * as ExampleToken from '@nexus/contracts/generated/ExampleToken'
import type { Network } from '@nexus/protocol/attest'
import type { ChainSpec, EventTriggerSpec, TriggerSpec } from '@nexus/protocol'
import { ensureGatewayKey, ensureKeys, repoRoot, startReplica, type ReplicaProcess } from '@nexus/cli/dev'
import { createGateway, type CreateGatewayParameters, type Gateway } from '../src/index.ts'
import type { InboxRelay, InboxRelayConfig } from '../src/inbox/index.ts'
import { createChainServices, type TriggerService } from '../src/triggers/index.ts'
import { API_KEY, deploy, helloArtifact } from './stack.ts'

export { API_KEY, deploy }

export type ChainStack = {
  root: string
  network: Network
  replicas: ReplicaProcess[]
  gatewayKey: Uint8Array
  /** The compile cache the replicas share with the gateway (sharedCompileCache), as `npm start` does. */
  compileCache?: string
}

/**
 * Keys (t=3, n=4) bound to `chainId`/`verifier`, and 4 replica processes that sign for them.
 * `nodeArgs`: extra Node flags per replica index (the events bench profiles replica 1).
 * `sharedCompileCache`: one compile cache for the replicas and the gateway, as `npm start` sets
 * it up (the gateway's deploy check compiles once, the replicas reuse it); default: each its own.
 */
export async function startChainStack({
  chainId = '31337',
  verifier = zeroAddress,
  nodeArgs,
  sharedCompileCache = false,
}: {
  chainId?: string
  verifier?: string
  nodeArgs?: (index: number) => string[]
  sharedCompileCache?: boolean
} = {}): Promise<ChainStack> {
  const root = await mkdtemp(join(tmpdir(), 'nexus-trig-'))
  const compileCache = sharedCompileCache ? join(root, 'compiled') : undefined
  const keysDir = join(root, 'keys')
  const { network } = await ensureKeys(keysDir, { t: 3, n: 4, chainId, verifier })
  const gatewayKey = await ensureGatewayKey(keysDir)
  const settled = await Promise.allSettled(
    [1, 2, 3, 4].map((i) =>
      startReplica({
        index: i,
        dataDir: join(root, `replica-${i}`),
        keyFile: join(keysDir, `replica-${i}.key.json`),
        chainId,
        verifier,
        nodeArgs: nodeArgs?.(i),
        compileCache,
      }),
    ),
  )
  const replicas = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  const failed = settled.find((s) => s.status === 'rejected')
  if (failed) {
    await Promise.all(replicas.map((r) => r.stop()))
    throw failed.reason
  }
  return { root, network, replicas, gatewayKey, compileCache }
}

export type ChainGateway = { gateway: Gateway; url: string; triggers: TriggerService; inboxes: InboxRelay[]; close(): Promise<void> }

/**
 * A gateway over the stack's replicas with the chain services (trigger service, inbox relays)
 * attached. `name` identifies its database (PGlite directory under the stack root, or a Postgres
 * schema when DATABASE_URL is set), so a restart with the same name reopens the same log and cursors.
 */
export async function startChainGateway(
  stack: ChainStack,
  p: { name: string; chains: ChainSpec[]; inboxes?: InboxRelayConfig[]; batching?: CreateGatewayParameters['batching'] },
): Promise<ChainGateway> {
  const logger = process.env.NEXUS_DEBUG ? (m: string) => console.error(`[gateway ${p.name}] ${m}`) : undefined
  const gateway = await createGateway({
    database: chainGatewayDatabase(stack, p.name),
    replicas: stack.replicas.map((r) => r.url),
    gatewayKey: stack.gatewayKey,
    network: stack.network,
    apiKeys: [API_KEY],
    logger,
    batching: p.batching,
    compileCache: stack.compileCache,
  })
  let services
  try {
    services = createChainServices({ db: gateway.database.db, log: gateway.log, scheduler: gateway.scheduler, chains: p.chains, inboxes: p.inboxes, logger })
  } catch (err) {
    await gateway.close()
    throw err
  }
  services.start()
  const port = await gateway.listen(0)
  return {
    gateway,
    url: `http://127.0.0.1:${port}`,
    triggers: services.triggers!,
    inboxes: services.inboxes,
    async close() {
      await services.stop()
      await gateway.close()
    },
  }
}
/** Where the gateway named `name` keeps its log and cursors (a restart with the same name reopens them). */
export const chainGatewayDatabase = (stack: ChainStack, name: string) =>
  process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL, schema: chainGatewaySchema(name) } : { dataDir: join(stack.root, `gateway-${name}`) }
const schemaSalt = `${process.pid}_${Date.now() % 1e8}`
/** The Postgres schema of the gateway named `name` (a gateway process gets it as NEXUS_GATEWAY_SCHEMA). */
export const chainGatewaySchema = (name: string) => `gw_trig_${name.replace(/\W/g, '_')}_${schemaSalt}`

/**
 * examples/hello under another name with `triggers` in its manifest. A custom section carrying the
 * name is appended to the component, so each test function has its own code hash (an artifact,
 * and the triggers in its manifest, are stored per code hash).
 */
export async function triggerArtifact(name: string, triggers: TriggerSpec[]) {
  const hello = await helloArtifact(name)
  const component = Buffer.concat([Buffer.from(hello.component, 'base64'), customSection('nexus-test-salt', name)])
  const codeHash = `0x${createHash('sha256').update(component).digest('hex')}` as Hex
  return { manifest: { ...hello.manifest, name, codeHash, triggers }, component: component.toString('base64'), codeHash }
}

function leb128(n: number): Buffer {
  const out: number[] = []
  do {
    let byte = n & 0x7f
    n >>>= 7
    if (n) byte |= 0x80
    out.push(byte)
  } while (n)
  return Buffer.from(out)
}

/** A WebAssembly custom section (id 0): ignored by every runtime, but part of the bytes. */
function customSection(sectionName: string, data: string): Buffer {
  const nameBytes = Buffer.from(sectionName)
  const body = Buffer.concat([leb128(nameBytes.length), nameBytes, Buffer.from(data)])
  return Buffer.concat([Buffer.from([0]), leb128(body.length), body])
}

/** An @onEvent trigger on ExampleToken's Transfer events to `to` (topic 2), from `startBlock`. */
export const transfersTo = (token: Address, to: Address, startBlock: bigint): EventTriggerSpec => {
  const transfer = getAbiItem({ abi: ExampleToken.abi, name: 'Transfer' })
  return {
    kind: 'event',
    chain: 'devnet',
    chainId: 31337,
    contract: 'token',
    address: token,
    event: 'Transfer',
    abi: transfer,
    topic0: toEventSelector(transfer),
    topics: [null, pad(to)],
    startBlock: startBlock.toString(),
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls `check` until it returns a value other than undefined/false (generous: the machine is shared). */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 180_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(everyMs)
  }
}

/** Every invocation of a function as the API serves it, in seq order. */
export async function results(url: string, functionId: string): Promise<any[]> {
  const items: any[] = []
  for (let cursor = '0'; ; ) {
    const res = await fetch(`${url}/v1/functions/${functionId}/results?cursor=${cursor}&limit=500`)
    if (res.status === 404) return items
    const body = (await res.json()) as { items: any[]; nextCursor: string | null }
    items.push(...body.items)
    if (!body.nextCursor) return items
    cursor = body.nextCursor
  }
}

/** Every invocation of a function in the gateway's log, in seq order. */
export async function invocationsOf(gateway: Gateway, functionId: string) {
  return gateway.log.range(functionId, 0n, 100_000)
}

/** The trigger payload (JSON) an invocation ran on. */
export const payloadOf = (inv: { input: string }) => JSON.parse(Buffer.from(inv.input.slice(2), 'hex').toString()) as Record<string, any>

/** A gateway process following `chains`, on the same database as startChainGateway(stack, { name }). */
export async function startGatewayProcess(stack: ChainStack, name: string, chains: ChainSpec[]): Promise<{ url: string; proc: ChildProcess }> {
  const chainsFile = join(stack.root, `chains-${name}.json`)
  await writeFile(chainsFile, JSON.stringify(chains))
  const args = [
    '--import',
    'tsx',
    join(repoRoot, 'gateway/src/bin.ts'),
    '--data',
    join(stack.root, `gateway-${name}`),
    '--replicas',
    stack.replicas.map((r) => r.url).join(','),
    '--network',
    join(stack.root, 'keys', 'network.json'),
    '--gateway-key-file',
    join(stack.root, 'keys', 'gateway.key'),
    '--port',
    '0',
    '--chains',
    chainsFile,
  ]
  const env = { ...process.env, NEXUS_API_KEYS: API_KEY, NEXUS_GATEWAY_SCHEMA: chainGatewaySchema(name) }
  const proc = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', process.env.NEXUS_DEBUG ? 'inherit' : 'ignore'], env })
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`gateway process exited with ${code}`)))
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line.startsWith('{"event":"listening"')) resolve(JSON.parse(line).port)
    })
  })
  return { url: `http://127.0.0.1:${port}`, proc }
}

export const killProcess = (proc: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve()
    proc.once('exit', () => resolve())
    proc.kill('SIGKILL')
  })
