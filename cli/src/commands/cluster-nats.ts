// The NATS half of `nexus cluster up`: a 3-node JetStream cluster on one machine with the roles of
// @nexus/gateway/jetstream (auth-config.ts). Everything lives in one state folder: the users' public
// keys (users.json) and the authorization block every node includes (auth.conf) are public; each
// user's credentials file (credentials/<name>.json, the nkey seed) is private to this user, 0600.
// Keys are made once and reused, so a restarted cluster keeps its logins and its JetStream data.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, open, readFile, writeFile } from 'node:fs/promises'
import { connect as tcpConnect } from 'node:net'
import { join } from 'node:path'
import { type ClusterUser, createClusterAuth, createJetStreamLog, type NatsCredentials, renderAuthorization } from '@nexus/gateway/jetstream'
import { NexusError } from '@nexus/protocol'

export type NatsClusterOptions = {
  /** The state folder (created 0700). */
  dir: string
  /** Client ports are port, port+1, port+2; route ports clusterPort … (all on `host`). */
  port: number
  clusterPort: number
  host: string
  gateways: number
  replicas: number
  prefix: string
  binary: string
  /** Aborts the start (Ctrl-C while the cluster elects its leader): the servers are stopped, nothing waits on. */
  signal?: AbortSignal
}

export type NatsNode = { name: string; url: string; conf: string; logFile: string; process?: ChildProcess }

export class ClusterUpError extends NexusError {
  override name = 'ClusterUpError'
  override code = 'NEXUS_CLUSTER_UP'
}

const NODES = 3
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const checkAborted = (signal?: AbortSignal) => {
  if (signal?.aborted) throw new ClusterUpError('interrupted while the NATS cluster was starting; its servers are stopped')
}
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = tcpConnect(port, host)
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })

/** Users and credentials: read from `dir` if made before (same counts), else made and written now. */
async function loadOrCreateUsers(options: NatsClusterOptions): Promise<{ users: ClusterUser[]; credentialsDir: string }> {
  const usersFile = join(options.dir, 'users.json')
  const credentialsDir = join(options.dir, 'credentials')
  if (existsSync(usersFile)) {
    const users = JSON.parse(await readFile(usersFile, 'utf8')) as ClusterUser[]
    const count = (kind: string) => users.filter((u) => u.kind === kind).length
    if (count('gateway') !== options.gateways || count('replica') !== options.replicas)
      throw new ClusterUpError(
        `${usersFile} has ${count('gateway')} gateways and ${count('replica')} replicas, not ${options.gateways} and ${options.replicas}: use those counts, or another --dir.`,
      )
    return { users, credentialsDir }
  }
  const { users, credentials } = createClusterAuth({ gateways: options.gateways, replicas: options.replicas })
  await mkdir(credentialsDir, { recursive: true, mode: 0o700 })
  for (const c of credentials) await writeFile(join(credentialsDir, `${c.name}.json`), `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600 })
  await writeFile(usersFile, `${JSON.stringify(users, null, 2)}\n`, { mode: 0o644 })
  return { users, credentialsDir }
}

/** One node's config: listen, JetStream store, routes to the others, the shared authorization block. */
function nodeConfig(options: NatsClusterOptions, k: number): string {
  const q = JSON.stringify
  const routes = Array.from({ length: NODES }, (_, j) => `nats://${options.host}:${options.clusterPort + j}`).filter((_, j) => j !== k)
  return [
    `server_name: ${q(`n${k + 1}`)}`,
    `listen: ${q(`${options.host}:${options.port + k}`)}`,
    `jetstream { store_dir: ${q(join(options.dir, `n${k + 1}`))} }`,
    `cluster { name: "nexus", listen: ${q(`${options.host}:${options.clusterPort + k}`)}, routes: ${q(routes)} }`,
    'include "auth.conf"',
    '',
  ].join('\n')
}

export async function readCredentials(file: string): Promise<NatsCredentials> {
  return JSON.parse(await readFile(file, 'utf8')) as NatsCredentials
}

/** Starts the three nodes and waits until JetStream answers with the log's streams replicated 3 times. */
export async function startNatsCluster(options: NatsClusterOptions) {
  await mkdir(options.dir, { recursive: true, mode: 0o700 })
  const { users, credentialsDir } = await loadOrCreateUsers(options)
  await writeFile(join(options.dir, 'auth.conf'), renderAuthorization(users, options.prefix), { mode: 0o644 })
  const nodes: NatsNode[] = []
  for (let k = 0; k < NODES; k++) {
    const conf = join(options.dir, `n${k + 1}.conf`)
    await writeFile(conf, nodeConfig(options, k), { mode: 0o600 })
    nodes.push({ name: `n${k + 1}`, url: `nats://${options.host}:${options.port + k}`, conf, logFile: join(options.dir, `n${k + 1}.log`) })
  }

  async function stop(): Promise<void> {
    await Promise.all(
      nodes.map(async (node) => {
        const child = node.process
        if (!child || child.exitCode !== null || child.signalCode !== null) return
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM') // nats-server shuts down cleanly: JetStream flushed, routes closed
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        await exited
        clearTimeout(timer)
      }),
    )
  }

  try {
    for (const node of nodes) {
      const log = await open(node.logFile, 'a', 0o600)
      node.process = spawn(options.binary, ['-c', node.conf], { stdio: ['ignore', log.fd, log.fd] })
      await log.close()
      node.process.once('error', () => {}) // reported below as "did not start"
    }
    for (const [k, node] of nodes.entries()) {
      for (let t = 0; t < 100 && !(await accepts(options.host, options.port + k)); t++) {
        if (node.process?.exitCode !== null) break
        checkAborted(options.signal)
        await sleep(100)
      }
      if (node.process?.exitCode !== null || !(await accepts(options.host, options.port + k)))
        throw new ClusterUpError(`nats-server ${node.name} did not start on ${node.url} (port in use, or an old cluster still running?); see ${node.logFile}`)
    }
    // The gateways' login proves the auth config and creates the log's streams, 3 copies each; the
    // first answer waits for the cluster to elect its JetStream leader (a few seconds).
    const gateway = await readCredentials(join(credentialsDir, 'gateway-1.json'))
    const urls = nodes.map((n) => n.url)
    for (let attempt = 0; ; attempt++) {
      checkAborted(options.signal)
      try {
        const { close } = await createJetStreamLog({ servers: urls, credentials: gateway, prefix: options.prefix, replicas: NODES })
        await close()
        break
      } catch (err) {
        checkAborted(options.signal)
        if (attempt >= 60) throw new ClusterUpError('the NATS cluster started but JetStream did not answer within 60 s', { cause: err })
        await sleep(1000)
      }
    }
  } catch (err) {
    await stop()
    throw err
  }
  return { nodes, urls: nodes.map((n) => n.url), users, credentialsDir, stop }
}
