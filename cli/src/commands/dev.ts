// `nexus dev [--dir .nexus] [--port 8787] [--examples examples]`: the whole stack on one machine
// with no external services — keys on first run, 4 replica processes (t = 3), a gateway on
// PGlite, every examples/<name>/handler.ts built and deployed, and every decorated project
// (examples/<name>/nexus.config.ts) built with `buildProject` and deployed. When a project names
// the `devnet` chain, anvil starts first (state kept under .nexus/devnet), the example contracts
// are deployed, the network (keys/network.json) is bound to the deployed NexusVerifier so results
// verify on-chain, the replicas get `--rpc` for chain reads, and the gateway follows the chain and
// relays the example consumer's NexusInbox requests (fulfil sent from anvil's account 1).
// Ctrl-C (SIGINT/SIGTERM) stops it cleanly, state kept: the gateway stops accepting and drains
// what it acknowledged, then the replicas and anvil stop; a second Ctrl-C forces. The children
// never outlive this process (each watches a lifeline to it, cli/src/dev and
// contracts/src/anvil.ts), and a start that fails midway stops what it had started.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { bindNetwork, ensureGatewayKey, ensureKeys, repoRoot, startReplicas, type ReplicaProcess } from '../dev/index.ts'
import { createGateway, type Gateway } from '@nexus/gateway'
import { bundleHandler } from '@nexus/runtime/build'
import { manifestFor } from '@nexus/runtime'
import { cachedComponent } from '@nexus/runtime/build'
import { startDevnet, DEVNET_PORT, DEVNET_RELAYER_KEY, type Devnet } from '../dev/devnet.ts'
import { buildProject, chainSpecs, loadConfig } from '@nexus/framework/build'
import type { NexusConfig } from '@nexus/framework/config'
import type { ChainSpec } from '@nexus/protocol'
import { encodeFunctionData, toHex, type Hex } from 'viem'
import * as NexusConsumerExample from '@nexus/contracts/generated/NexusConsumerExample'
import * as NexusInbox from '@nexus/contracts/generated/NexusInbox'
import type { InboxRelayConfig } from '@nexus/gateway/inbox'

const usage = 'usage: nexus dev [--dir .nexus] [--port 8787] [--examples <dir>] [--t 3] [--n 4] [--devnet-port 8545]'

/** Build output folder of a project: its folder name under examples/. */
const buildFolder = (configPath: string) => basename(dirname(configPath))

async function apiKey(dir: string): Promise<string> {
  const file = join(dir, 'deploy-api-key')
  if (existsSync(file)) {
    await chmod(file, 0o600)
    return (await readFile(file, 'utf8')).trim()
  }
  const key = `nxs_${randomBytes(18).toString('base64url')}`
  await writeFile(file, `${key}\n`, { mode: 0o600 })
  return key
}

export async function run(argv: string[]): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        dir: { type: 'string', default: '.nexus' },
        port: { type: 'string', default: '8787' },
        examples: { type: 'string', default: join(repoRoot, 'examples') },
        t: { type: 'string', default: '3' },
        n: { type: 'string', default: '4' },
        'devnet-port': { type: 'string', default: String(DEVNET_PORT) },
      },
      strict: true,
    }).values
  } catch (err) {
    console.error(`nexus dev: ${(err as Error).message}\n${usage}`)
    return 2
  }
  const dir = resolve(values.dir)
  const t = Number(values.t)
  const n = Number(values.n)
  const started = performance.now()
  // Keys, the deploy key, logs and state: this user's alone (the stores below lock and tighten their own).
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
  let { network, created } = await ensureKeys(join(dir, 'keys'), { t, n })
  console.log(created ? `generated ${t}-of-${n} keys in ${join(dir, 'keys')}` : `reusing keys in ${join(dir, 'keys')}`)
  const key = await apiKey(dir)

  const examples = existsSync(values.examples) ? (await readdir(values.examples, { withFileTypes: true })).filter((e) => e.isDirectory()) : []
  // Decorated projects: their configs decide whether a devnet is needed and which chains to follow.
  const projects: { configPath: string; config: NexusConfig }[] = []
  for (const entry of examples) {
    const configPath = join(values.examples, entry.name, 'nexus.config.ts')
    if (existsSync(configPath)) projects.push({ configPath, config: await loadConfig(configPath) })
  }
  const chains = new Map<string, ChainSpec>()
  for (const p of projects) for (const c of chainSpecs(p.config)) if (!chains.has(c.name)) chains.set(c.name, c)

  let replicas: ReplicaProcess[] = []
  let gateway: Gateway | undefined
  let devnet: Devnet | undefined
  let stopping: Promise<void> | undefined
  // Gateway first (stop accepting, drain), then what it needs; idempotent.
  const shutdown = () =>
    (stopping ??= (async () => {
      await gateway?.close().catch((err: unknown) => console.error(`gateway: ${err instanceof Error ? err.message : String(err)}`))
      await Promise.all(replicas.map((r) => r.stop()))
      await devnet?.stop()
    })())
  let stopRequested!: () => void
  const stopSignal = new Promise<void>((resolve) => (stopRequested = resolve))
  let signals = 0
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      console.error(`${signal} again: forcing the stop`)
      for (const r of replicas) r.child.kill('SIGKILL')
      // anvil's guard sees this process exit and stops it.
      process.exit(130)
    }
    console.log(`stopping… (${signal} again to force)`)
    stopRequested()
    // A signal during start: stop what has started so far; nothing after this point is kept.
    if (!ready) void shutdown().finally(() => process.exit(130))
  }
  let ready = false
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const devnetSpec = chains.get('devnet')
    if (devnetSpec) {
      devnet = await startDevnet({ dir, groupPublicKey: network.groupPublicKey as Hex, port: Number(values['devnet-port']) })
      chains.set('devnet', { ...devnetSpec, chainId: devnet.chainId, rpcUrl: devnet.rpcUrl })
      console.log(`devnet    ${devnet.rpcUrl} (anvil, chain ${devnet.chainId}, state in ${join(dir, 'devnet')})`)
      for (const [name, address] of Object.entries(devnet.contracts)) if (typeof address === 'string') console.log(`  ${name.padEnd(9)} ${address}`)
      // Results commit to (chainId, verifier): bind the network to the verifier just deployed (or
      // found), so what the replicas sign is what NexusVerifier and NexusInbox accept.
      const bound = await bindNetwork(join(dir, 'keys'), { chainId: String(devnet.chainId), verifier: devnet.contracts.verifier })
      network = bound.network
      if (bound.changed) console.log(`network bound to chain ${devnet.chainId}, verifier ${devnet.contracts.verifier}`)
    }
    // Replicas answer handlers' chain reads through the RPC of every chain that has one.
    const rpc = Object.fromEntries([...chains.values()].filter((c) => c.rpcUrl).map((c) => [String(c.chainId), c.rpcUrl]))
    replicas = await startReplicas(dir, join(dir, 'keys'), n, undefined, { rpc, chainId: network.chainId, verifier: network.verifier })
    for (const r of replicas) console.log(`replica ${r.index}  ${r.url}`)
    // `chains` turns on the trigger service (gateway/src/triggers); a variable, not a literal, so this
    // compiles whether or not that parameter exists yet in the gateway checked out.
    const gatewayParameters: Parameters<typeof createGateway>[0] & { chains?: ChainSpec[] } = {
      database: process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : { dataDir: join(dir, 'gateway') },
      replicas: replicas.map((r) => r.url),
      // Generated beside the share keys on first run (0600); the replicas read the same file.
      gatewayKey: await ensureGatewayKey(join(dir, 'keys')),
      network,
      apiKeys: [key],
      logger: (m) => console.log(`gateway: ${m}`),
      // What handlers log (ctx.log), as the log kept it with the attested result.
      onResult: (inv) => {
        for (const line of inv.logs) console.log(`${inv.functionId}#${inv.seq} ${line.level}: ${line.message}`)
      },
      chains: [...chains.values()].filter((c) => c.rpcUrl),
      inboxes: devnet ? [{ chain: 'devnet', address: devnet.contracts.inbox, relayerPrivateKey: DEVNET_RELAYER_KEY } satisfies InboxRelayConfig] : [],
    }
    gateway = await createGateway(gatewayParameters)
    const port = await gateway.listen(Number(values.port))
    const url = `http://127.0.0.1:${port}`

    const deployed: string[] = []
    const codeHashes = new Map<string, string>()
    const deploy = async (name: string, manifest: unknown, component: Uint8Array) => {
      const res = await gateway!.app.request('/v1/functions', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ manifest, component: Buffer.from(component).toString('base64') }),
      })
      const body = (await res.json()) as { codeHash?: string; created?: boolean; error?: { message: string } }
      if (!res.ok) throw new Error(`deploy of ${name} failed: ${body.error?.message}`)
      console.log(`function ${name}  ${body.codeHash}${body.created ? '' : ' (unchanged)'}`)
      deployed.push(name)
      codeHashes.set(name, body.codeHash!)
    }
    for (const entry of examples) {
      const handler = join(values.examples, entry.name, 'handler.ts')
      if (!existsSync(handler)) continue
      // Cached by bundle: an unchanged example keeps its code hash across restarts (componentize is not reproducible).
      const { component } = await cachedComponent(join(dir, 'build', 'handlers', entry.name), await bundleHandler(handler))
      await deploy(entry.name, manifestFor(entry.name, component), component)
    }
    for (const p of projects) {
      const built = await buildProject(p.configPath, { out: join(dir, 'build', buildFolder(p.configPath)) })
      for (const fn of built.functions) await deploy(fn.id, fn.manifest, fn.component!)
    }
    let inboxDemo = ''
    if (devnet && codeHashes.has('hello')) {
      const { consumer, functionId } = await devnet.deployConsumer(codeHashes.get('hello') as Hex)
      console.log(`devnet consumer ${consumer} calls inbox function ${functionId} (hello)`)
      inboxDemo = await inboxCommands(devnet, consumer)
    }

    const example = deployed.includes('hello') ? 'hello' : deployed[0]
    console.log(`
Nexus dev stack ready in ${((performance.now() - started) / 1000).toFixed(1)} s (${t}-of-${n}, data in ${dir})
  gateway   ${url}        (API: ${url}/openapi.json, metrics: ${url}/metrics)
  deploy key ${join(dir, 'deploy-api-key')}
  network   ${join(dir, 'keys', 'network.json')}
${
  example
    ? `
Invoke (returns an attested result):
  curl -s -X POST ${url}/v1/functions/${example}/invoke -H 'content-type: application/json' -d '{"name":"nexus"}'
Verify it (off-chain, against the network's group key):
  curl -s -X POST ${url}/v1/functions/${example}/invoke -d '{}' | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(JSON.stringify(JSON.parse(s).result)))' > /tmp/nexus-result.json
  npx nexus verify /tmp/nexus-result.json --network ${join(dir, 'keys', 'network.json')}
`
    : ''
}
${
  deployed.includes('token-balances')
    ? `Token balances indexed from ExampleToken Transfer events (route of token-balances):
  curl -s ${url}/v1/functions/token-balances/http/balance/0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
`
    : ''
}
${inboxDemo}Ctrl-C to stop (state is kept for the next start).`)
    console.log(JSON.stringify({ event: 'ready', url, functions: deployed }))
    ready = true

    await stopSignal
    await shutdown()
    return 0
  } catch (err) {
    await shutdown()
    throw err
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/**
 * Ready-to-paste commands for the on-chain loop: the example consumer asks `hello` through NexusInbox
 * (sent from anvil's unlocked account 0), two blocks are mined (the devnet waits for 2
 * confirmations), the gateway's relay has the replicas run it and sends `fulfil`, and the consumer's
 * callback stores the answer, read back with eth_call and decoded.
 */
async function inboxCommands(devnet: Devnet, consumer: Hex): Promise<string> {
  const requestCount = (await devnet.clients.public.readContract({
    address: devnet.contracts.inbox,
    abi: NexusInbox.abi,
    functionName: 'requestCount',
  })) as bigint
  const next = requestCount + 1n
  const ask = encodeFunctionData({ abi: NexusConsumerExample.abi, functionName: 'ask', args: [toHex('{"name":"chain"}')] })
  const answer = encodeFunctionData({ abi: NexusConsumerExample.abi, functionName: 'answers', args: [next] })
  const rpc = (body: string) => `curl -s ${devnet.rpcUrl} -H 'content-type: application/json' -d '${body}'`
  // answers(id) returns ABI-encoded bytes: offset, length, then the output (hello's JSON).
  const decode = `node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const h=JSON.parse(s).result.slice(2);console.log(Buffer.from(h.slice(128,128+2*parseInt(h.slice(64,128),16)),"hex").toString()||"(no answer yet)")})'`
  return `On-chain loop: the example consumer asks hello through NexusInbox (request #${next}); the gateway relays it
to the replicas and sends fulfil (verified on-chain by NexusVerifier), and the consumer's callback stores the answer:
  ${rpc(`{"jsonrpc":"2.0","id":1,"method":"eth_sendTransaction","params":[{"from":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","to":"${consumer}","data":"${ask}"}]}`)}
  ${rpc('{"jsonrpc":"2.0","id":2,"method":"anvil_mine","params":[2]}')}
Read the stored answer (seconds later, more on the first call while the replicas compile hello; a further ask is request #${next + 1n}, change the last digits of the data):
  ${rpc(`{"jsonrpc":"2.0","id":3,"method":"eth_call","params":[{"to":"${consumer}","data":"${answer}"},"latest"]}`)} | ${decode}

`
}
