// `nexus cluster up` as an operator runs it (the real bin, a child process): three nats-server
// processes form one JetStream cluster with the log's streams on all three, 4 replicas and 2
// gateways run on it; a function deployed on one gateway answers a verified result on the other;
// a gateway's credentials file logs in and appends, another gateway on another node reads it back;
// the credentials are private files; and SIGINT stops everything and exits 0.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { connect as tcpConnect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, test } from 'vitest'
import { createJetStreamLog, type NatsCredentials } from '@nexus/gateway/jetstream'
import { parseNetwork, verifyResult } from '@nexus/protocol/attest'
import { buildHandler } from '@nexus/runtime'
import { repoRoot } from '../src/dev/index.ts'

const bin = fileURLToPath(new URL('../bin/nexus.js', import.meta.url))
const H = `0x${'c5'.repeat(32)}` as const
let child: ChildProcess | undefined
let dir: string

const listens = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1')
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })

/** A base port with base..base+2 (clients), base+10..base+12 (routes) and base+20..base+21 (gateways) free. */
async function freeBase(): Promise<number> {
  for (;;) {
    const base = 30_000 + Math.floor(Math.random() * 20_000)
    const ports = [0, 1, 2, 10, 11, 12, 20, 21].map((d) => base + d)
    if ((await Promise.all(ports.map(listens))).every(Boolean)) return base
  }
}

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  if (dir) await rm(dir, { recursive: true, force: true })
})

test('cluster up starts 3 NATS servers as one JetStream cluster with logins, and SIGINT stops them', async () => {
  dir = await mkdtemp(join(tmpdir(), 'nexus-cluster-up-'))
  const base = await freeBase()
  const proc = spawn(
    process.execPath,
    [bin, 'cluster', 'up', '--dir', join(dir, 'state'), '--port', String(base), '--cluster-port', String(base + 10), '--gateway-port', String(base + 20)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  child = proc
  let out = ''
  proc.stdout.on('data', (d) => (out += d))
  proc.stderr.on('data', (d) => (out += d))
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
  for (let t = 0; t < 2400 && !out.includes('ready.') && proc.exitCode === null; t++) await new Promise((r) => setTimeout(r, 100))
  expect(out).toContain('ready.')
  const [gateway1, gateway2] = /gateways: (\S+) (\S+)/.exec(out)!.slice(1) as [string, string]
  const apiKey = (await readFile(/deploy key: (\S+)/.exec(out)![1]!, 'utf8')).trim()
  const network = parseNetwork(JSON.parse(await readFile(/: (\S+\/network\.json)/.exec(out)![1]!, 'utf8')))
  const artifact = await buildHandler(join(repoRoot, 'examples/hello/handler.ts'), { name: 'hello' })
  const deployed = await fetch(`${gateway1}/v1/functions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ manifest: artifact.manifest, component: Buffer.from(artifact.component).toString('base64') }),
  })
  expect(deployed.status).toBe(201)
  const answer = await fetch(`${gateway2}/v1/functions/hello/invoke?timeoutMs=60000`, {
    method: 'POST',
    body: '{"name":"up"}',
    headers: { 'content-type': 'application/json' },
  })
  const body = (await answer.json()) as { state: string; output: { count: number }; result: Parameters<typeof verifyResult>[0] }
  expect(body.state).toBe('attested')
  expect(body.output.count).toBe(1)
  expect((await verifyResult(body.result, network)).ok).toBe(true)

  const urls = /servers: (\S+)/.exec(out)![1]!.split(',')
  expect(urls).toEqual([0, 1, 2].map((k) => `nats://127.0.0.1:${base + k}`))
  const credentialsDir = /credentials \(nkey seeds, private\): (\S+)\//.exec(out)![1]!
  const file = (name: string) => join(credentialsDir, `${name}.json`)
  expect((await stat(file('gateway-1'))).mode & 0o777).toBe(0o600)
  const gateway = async (name: string, servers: string[]) =>
    createJetStreamLog({ servers, credentials: JSON.parse(await readFile(file(name), 'utf8')) as NatsCredentials, replicas: 3 })

  const a = await gateway('gateway-1', [urls[0]!])
  const b = await gateway('gateway-2', [urls[2]!])
  try {
    // The streams cluster up created are on all three servers (a leader and two followers).
    const info = JSON.parse(new TextDecoder().decode((await a.nc.request('$JS.API.STREAM.INFO.NEXUS_LOG')).data)) as {
      config: { num_replicas: number }
      cluster: { leader?: string; replicas?: { name: string }[] }
    }
    expect(info.config.num_replicas).toBe(3)
    expect(info.cluster.leader).toMatch(/^n[123]$/)
    expect(info.cluster.replicas).toHaveLength(2)

    await a.log.putArtifact(H, { name: 'f' }, 'AA==')
    // (not a real component: the replicas refuse to run 'f', which is no concern of this check)
    await a.log.deployFunction('f', H)
    const { invocation } = await a.log.append({ functionId: 'f', input: '0x01', trigger: 'http', requestHash: 'up' })
    expect(await b.log.getInvocation(invocation.id)).toEqual(invocation)
  } finally {
    await a.close()
    await b.close()
  }

  proc.kill('SIGINT')
  expect(await exited).toBe(0)
  expect(out).toContain('stopped.')
  expect(await Promise.all([0, 1, 2].map((k) => accepts(base + k)))).toEqual([false, false, false])
}, 400_000)
