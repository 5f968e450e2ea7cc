// `nexus deploy` against a real gateway on PGlite with real replicas (2-of-2, in this process, each
// on in-memory PGlite behind its real HTTP server, as gateway/test/inprocess-stack.ts): the project
// `nexus init` generates is built and deployed, a second deploy (through the command's `run`) is
// "unchanged", the HTTP function answers with a result
// the network's group key verifies, and each failure is its typed error: wrong key (401), an id
// owned by another key (403), an invalid artifact (400), no gateway at all.
import { createServer, type AddressInfo } from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createGateway, type Gateway } from '@nexus/gateway'
import { dealerKeygen, verifyResult, type Network } from '@nexus/protocol/attest'
import { createReplica, createReplicaServer, type Replica } from '@nexus/runtime'
import { zeroAddress } from 'viem'
import { initProject } from '../src/commands/init.ts'
import { deployProject, readDeployKey, run, type DeployedFunction } from '../src/commands/deploy.ts'
import { DeployClient, DeployRejectedError, DeployUnauthorizedError, GatewayUnreachableError } from '../src/commands/deploy-client.ts'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const KEY = 'nxs_test_deploy_key'
const OTHER_KEY = 'nxs_other_deploy_key'

let base: string
let project: string
let network: Network
let replicas: Replica[] = []
let servers: Server[] = []
let gateway: Gateway | undefined
let url: string
let first: DeployedFunction[]

beforeAll(async () => {
  await mkdir(join(repoRoot, '.nexus'), { recursive: true })
  // Inside the repository, so the generated project resolves @nexus/* to the workspace packages.
  base = await mkdtemp(join(repoRoot, '.nexus', 'tmp-deploy-'))
  project = join(base, 'app')
  await initProject(project)
  // A 2-of-2 network whose replicas run in this process, each on in-memory PGlite behind its real HTTP server.
  const keys = dealerKeygen({ t: 2, n: 2 })
  keys.network.chainId = '31337'
  keys.network.verifier = zeroAddress
  network = keys.network
  const gatewayKey = new Uint8Array(randomBytes(32))
  replicas = await Promise.all(
    keys.shares.map((shareKey, k) => createReplica({ index: k + 1, cacheDir: join(base, `cache-${k + 1}`), shareKey, chainId: 31337n, verifier: zeroAddress })),
  )
  servers = replicas.map((r) => createReplicaServer(r, { gatewayKey }))
  const urls = await Promise.all(
    servers.map(
      (server) => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    ),
  )
  gateway = await createGateway({ database: { dataDir: undefined }, replicas: urls, gatewayKey, network, apiKeys: [KEY, OTHER_KEY], cron: false })
  url = `http://127.0.0.1:${await gateway.listen(0)}`
  await writeFile(join(base, 'api-key'), `# the deployer key\n${KEY}\n`, { mode: 0o600 })
})

/** What the command prints on console.log / console.error while `fn` runs. */
async function captured(stream: 'log' | 'error', fn: () => Promise<void>): Promise<string> {
  const lines: string[] = []
  const original = console[stream]
  console[stream] = (...args: unknown[]) => lines.push(args.join(' '))
  try {
    await fn()
  } finally {
    console[stream] = original
  }
  return lines.join('\n')
}

afterAll(async () => {
  await gateway?.close()
  for (const server of servers) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  await Promise.allSettled(replicas.map((r) => r.close()))
  await rm(base, { recursive: true, force: true })
})

test('deploys the init project: version 1, invoke and route URLs', async () => {
  const lines: string[] = []
  first = await deployProject({
    gateway: url,
    apiKey: await readDeployKey({ file: join(base, 'api-key'), projectDir: project }),
    dir: project,
    log: (l) => lines.push(l),
  })
  expect(first).toHaveLength(1)
  expect(first[0]).toMatchObject({
    id: 'app-hello',
    created: true,
    version: 1,
    invokeUrl: `${url}/v1/functions/app-hello/invoke`,
    routes: [`POST ${url}/v1/functions/app-hello/http/hello`],
  })
  expect(lines.join('\n')).toMatch(/app-hello\s+version 1 \(new\)/)
})

test('a second deploy through the command is unchanged; the key comes from the environment', async () => {
  const stdout = await captured('log', async () => {
    process.env.NEXUS_API_KEY = KEY
    try {
      expect(await run(['--gateway', url, '--dir', project])).toBe(0)
    } finally {
      delete process.env.NEXUS_API_KEY
    }
  })
  expect(stdout).toMatch(/app-hello\s+version 1 \(unchanged\)/)
  expect(stdout).toContain(`invoke  POST ${url}/v1/functions/app-hello/invoke`)
  expect(stdout).toContain(`route   POST ${url}/v1/functions/app-hello/http/hello`)
  expect(stdout).toContain('(0 new or updated, 1 unchanged)')
  const versions = (await (await fetch(`${url}/v1/functions/app-hello/versions`)).json()) as { items: unknown[] }
  expect(versions.items).toHaveLength(1)
})

test('the deployed HTTP function answers with a result the network verifies', async () => {
  const res = await fetch(first[0]!.routes[0]!.split(' ')[1]!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"nexus"}' })
  type Answer = { state: string; status: string; resultUrl: string; result: { output: string } }
  let body = (await res.json()) as Answer
  // 202 pending when the replicas' first compile takes longer than the gateway's sync wait (a loaded machine).
  expect([200, 202]).toContain(res.status)
  for (let i = 0; body.state === 'pending' && i < 120; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500))
    body = (await (await fetch(`${url}${body.resultUrl}`)).json()) as Answer
  }
  expect(body).toMatchObject({ state: 'attested', status: 'ok' })
  expect(JSON.parse(Buffer.from(body.result.output.slice(2), 'hex').toString())).toEqual({ greeting: 'hello, nexus', count: 1, seq: '1' })
  expect(await verifyResult(body.result, network, { functionId: 'app-hello' })).toMatchObject({ ok: true })
})

test('wrong key 401, an id owned by another key 403, an invalid artifact 400, no gateway', async () => {
  const built = join(project, '.nexus', 'build', 'app-hello')
  const manifest = JSON.parse(await readFile(join(built, 'manifest.json'), 'utf8')) as { codeHash: string }
  const component = new Uint8Array(await readFile(join(built, 'component.wasm')))

  await expect(new DeployClient(url, 'nxs_wrong').deploy(manifest, component)).rejects.toThrow(DeployUnauthorizedError)
  await expect(new DeployClient(url, 'nxs_wrong').deploy(manifest, component)).rejects.toThrow(/Invalid deployer API key/)

  // Other code for app-hello (one byte more, its own hash) from a key that did not create it.
  const other = new Uint8Array([...component, 0])
  const otherManifest = { ...manifest, codeHash: `0x${createHash('sha256').update(other).digest('hex')}` }
  const forbidden = new DeployClient(url, OTHER_KEY).deploy(otherManifest, other)
  await expect(forbidden).rejects.toThrow(DeployUnauthorizedError)
  await expect(forbidden).rejects.toThrow(/belongs to the key that first deployed it/)

  const invalid = await new DeployClient(url, KEY).deploy({ ...manifest, codeHash: `0x${'0'.repeat(64)}` }, component).catch((e: unknown) => e)
  expect(invalid).toBeInstanceOf(DeployRejectedError)
  expect(invalid).toMatchObject({ gatewayCode: 'INVALID_ARTIFACT', field: 'manifest.codeHash' })
  expect((invalid as Error).message).toContain('invalid artifact')

  // A port nobody listens on.
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
  await expect(new DeployClient(`http://127.0.0.1:${port}`, KEY).deploy(manifest, component)).rejects.toThrow(GatewayUnreachableError)
  await expect(new DeployClient(`http://127.0.0.1:${port}`, KEY).deploy(manifest, component)).rejects.toThrow(/Cannot reach the gateway/)
  // The command checks before it builds.
  const started = performance.now()
  await expect(deployProject({ gateway: `http://127.0.0.1:${port}`, apiKey: KEY, dir: project })).rejects.toThrow(GatewayUnreachableError)
  expect(performance.now() - started).toBeLessThan(2000)

  // Nothing changed: still one version, owned by the first key.
  const versions = (await (await fetch(`${url}/v1/functions/app-hello/versions`)).json()) as { items: unknown[] }
  expect(versions.items).toHaveLength(1)
})

test('the key never comes from argv; without a file or NEXUS_API_KEY it is refused', async () => {
  // The refusal comes before any build or request.
  const errors = await captured('error', async () => {
    expect(await run(['--api-key', KEY])).toBe(2)
    expect(await run([`--api-key=${KEY}`])).toBe(2)
  })
  expect(errors).toContain('--api-key is not accepted')
  expect(errors).not.toContain(KEY)
  await expect(readDeployKey({ projectDir: base, env: {} })).rejects.toThrow(/No deployer API key/)
})
