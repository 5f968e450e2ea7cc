// `nexus dev`: the whole stack on one machine with no external services. In a project folder (one
// holding nexus.config.ts, or with --project <dir>) it runs that project, watches it and redeploys
// a function on save (dev/project-stack.ts). Otherwise (or with --examples <dir>, as `npm start`
// in this repository) it runs the examples: keys on first run, 4 replica processes (t = 3), a
// gateway on PGlite, every examples/<name>/handler.ts built and deployed, and every decorated
// project (examples/<name>/nexus.config.ts) built with `buildProject` and deployed. When a
// project names the `devnet` chain, anvil starts first (state kept under .nexus/devnet), the
// example contracts are deployed, the network (keys/network.json) is bound to the deployed
// NexusVerifier so results verify on-chain, the replicas get `--rpc` for chain reads, and the
// gateway follows the chain and relays the example consumer's NexusInbox requests (fulfil sent
// from anvil's account 1). Ctrl-C (SIGINT/SIGTERM) stops it cleanly, state kept (dev/stack.ts).
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { repoRoot } from '../dev/index.ts'
import { bundleHandler, releaseBundler } from '@nexus/runtime/build'
import { manifestFor } from '@nexus/runtime'
import { cachedComponent, sharedBuildCache } from '@nexus/runtime/build'
import { DEVNET_PORT, type Devnet } from '../dev/devnet.ts'
import { buildProject, chainSpecs, loadConfig, releaseTypecheckProgram } from '@nexus/framework/build'
import type { NexusConfig } from '@nexus/framework/config'
import type { ChainSpec } from '@nexus/protocol'
import { encodeFunctionData, toHex, type Hex } from 'viem'
import * as NexusConsumerExample from '@nexus/contracts/generated/NexusConsumerExample'
import * as NexusInbox from '@nexus/contracts/generated/NexusInbox'
import { DevLifecycle, startStack } from '../dev/stack.ts'
import { seconds, step } from '../dev/progress.ts'

const usage =
  'usage: nexus dev [--project <dir> | --examples <dir>] [--dir <state>] [--port 8787] [--t 3] [--n 4] [--devnet-port 8545] [--no-typecheck]\n' +
  '  in a folder holding nexus.config.ts (or with --project): runs that project, watches it and redeploys on save;\n' +
  '  otherwise (or with --examples): runs the examples of this repository'

/** Build output folder of a project: its folder name under examples/. */
const buildFolder = (configPath: string) => basename(dirname(configPath))

export async function run(argv: string[]): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        dir: { type: 'string' },
        port: { type: 'string', default: '8787' },
        examples: { type: 'string' },
        project: { type: 'string' },
        t: { type: 'string' },
        n: { type: 'string' },
        'devnet-port': { type: 'string', default: String(DEVNET_PORT) },
        'no-typecheck': { type: 'boolean', default: false },
      },
      strict: true,
    }).values
  } catch (err) {
    console.error(`nexus dev: ${(err as Error).message}\n${usage}`)
    return 2
  }
  if (values.project !== undefined && values.examples !== undefined) {
    console.error(`nexus dev: --project and --examples exclude each other\n${usage}`)
    return 2
  }
  const common = {
    port: Number(values.port),
    devnetPort: Number(values['devnet-port']),
    t: values.t === undefined ? undefined : Number(values.t),
    n: values.n === undefined ? undefined : Number(values.n),
  }
  // Project mode: asked for, or the current folder is a project (and the examples were not asked for).
  const project = values.project ?? (values.examples === undefined && existsSync('nexus.config.ts') ? '.' : undefined)
  if (project !== undefined) {
    const { runProject } = await import('../dev/project-stack.ts')
    const root = resolve(project)
    return runProject({ ...common, root, dir: resolve(values.dir ?? join(root, '.nexus')), typecheck: !values['no-typecheck'] })
  }
  return runExamples({
    ...common,
    t: common.t ?? 3,
    n: common.n ?? 4,
    dir: resolve(values.dir ?? '.nexus'),
    examples: values.examples ?? join(repoRoot, 'examples'),
  })
}

type ExamplesOptions = { dir: string; port: number; devnetPort: number; t: number; n: number; examples: string }

async function runExamples(o: ExamplesOptions): Promise<number> {
  const { dir, t, n } = o
  const started = performance.now()
  const log = (line: string) => console.log(line)
  const examples = existsSync(o.examples) ? (await readdir(o.examples, { withFileTypes: true })).filter((e) => e.isDirectory()) : []
  // Decorated projects: their configs decide whether a devnet is needed and which chains to follow.
  const projects: { configPath: string; config: NexusConfig }[] = []
  for (const entry of examples) {
    const configPath = join(o.examples, entry.name, 'nexus.config.ts')
    if (existsSync(configPath)) projects.push({ configPath, config: await loadConfig(configPath) })
  }
  const chains = new Map<string, ChainSpec>()
  for (const p of projects) for (const c of chainSpecs(p.config)) if (!chains.has(c.name)) chains.set(c.name, c)

  const life = new DevLifecycle(log)
  // The examples build while the stack starts: neither needs the other until the deploys.
  const handlers = examples.map((e) => ({ name: e.name, file: join(o.examples, e.name, 'handler.ts') })).filter((h) => existsSync(h.file))
  const builds = step(
    log,
    `building ${handlers.length} example handler(s) and ${projects.length} example project(s)`,
    () => buildExamples(dir, handlers, projects),
    (built) => `built ${built.length} example function(s)`,
  )
  // Awaited below; a failure must not go unhandled while the stack is still starting.
  builds.catch(() => {})
  try {
    const stack = await startStack({ dir, port: o.port, t, n, devnetPort: o.devnetPort, chains: [...chains.values()], log }, life)
    const { url, devnet, apiKey: key } = stack
    const gateway = stack.gateway

    const deployed: string[] = []
    const codeHashes = new Map<string, string>()
    const deploy = async ({ name, manifest, component }: BuiltExample) => {
      const res = await gateway.app.request('/v1/functions', {
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
    const built = await builds
    await step(
      log,
      `deploying ${built.length} example function(s)`,
      async () => {
        for (const fn of built) await deploy(fn)
      },
      () => `deployed ${deployed.length} example function(s)`,
    )
    let inboxDemo = ''
    if (devnet && codeHashes.has('hello')) {
      const { consumer, functionId } = await devnet.deployConsumer(codeHashes.get('hello') as Hex)
      console.log(`devnet consumer ${consumer} calls inbox function ${functionId} (hello)`)
      inboxDemo = await inboxCommands(devnet, consumer)
    }

    const example = deployed.includes('hello') ? 'hello' : deployed[0]
    console.log(`
Nexus dev stack ready in ${seconds(performance.now() - started)} (${t}-of-${n}, data in ${dir})
  gateway   ${url}        (API: ${url}/openapi.json, metrics: ${url}/metrics)
  deploy key ${stack.apiKeyFile}
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
    life.markReady()
    // Everything is built and bundled: esbuild's service would only hold memory from here on.
    await releaseBundler()

    await life.stopSignal
    await life.shutdown()
    return 0
  } catch (err) {
    await life.shutdown()
    throw err
  } finally {
    life.dispose()
  }
}

type BuiltExample = { name: string; manifest: unknown; component: Uint8Array }

/** Every example handler and decorated example project, built (from the caches when unchanged). */
async function buildExamples(
  dir: string,
  handlers: { name: string; file: string }[],
  projects: { configPath: string; config: NexusConfig }[],
): Promise<BuiltExample[]> {
  const built: BuiltExample[] = []
  // Components and build records also in the user's Nexus cache: a fresh state folder rebuilds nothing.
  const cacheDir = await sharedBuildCache()
  for (const { name, file } of handlers) {
    // Cached by bundle: an unchanged example keeps its code hash across restarts (componentize is not reproducible).
    const { component } = await cachedComponent(join(dir, 'build', 'handlers', name), await bundleHandler(file), {
      sharedDir: cacheDir && join(cacheDir, 'components'),
    })
    built.push({ name, manifest: manifestFor(name, component), component })
  }
  for (const p of projects) {
    const project = await buildProject(p.configPath, { out: join(dir, 'build', buildFolder(p.configPath)), cacheDir })
    for (const fn of project.functions) built.push({ name: fn.id, manifest: fn.manifest, component: fn.component! })
  }
  // The examples are built once: the type checker's program would only hold memory from here on.
  releaseTypecheckProgram()
  return built
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
