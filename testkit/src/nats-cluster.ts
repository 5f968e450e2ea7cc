// A real 3-node NATS JetStream cluster for tests: `/usr/sbin/nats-server` processes on free
// loopback ports, each with its own store directory, routed to each other. A node can be killed
// (SIGKILL, no goodbye) and restarted on the same ports and directory, as an operator's would.
// `options.config` adds server config text to every node (e.g. the authorization block of
// auth-config.ts); without it the nodes run as before, open to anyone.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tcpConnect } from 'node:net'

export type ClusterNode = { name: string; url: string; clusterPort: number; port: number; dir: string; process?: ChildProcess }
export type Cluster = Awaited<ReturnType<typeof startCluster>>
export type ClusterOptions = {
  /** nats-server config text every node loads (its command-line flags still set ports, names and dirs). */
  config?: string
  /** false: the nodes are not routed together (one standalone JetStream server: no election to wait for). Default: true. */
  routed?: boolean
}

/** A loopback TCP port free at the time of asking (tests and benches that start servers). */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1')
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })

export async function startCluster(size = 3, binary = '/usr/sbin/nats-server', options: ClusterOptions = {}) {
  const root = await mkdtemp(join(tmpdir(), 'nexus-nats-cluster-'))
  const configFile = join(root, 'nodes.conf')
  if (options.config !== undefined) await writeFile(configFile, options.config, { mode: 0o600 })
  const nodes: ClusterNode[] = []
  for (let k = 0; k < size; k++) {
    const port = await freePort()
    nodes.push({ name: `n${k}`, port, url: `nats://127.0.0.1:${port}`, clusterPort: await freePort(), dir: join(root, `n${k}`) })
  }
  const routes = nodes.map((n) => `nats://127.0.0.1:${n.clusterPort}`).join(',')

  async function start(node: ClusterNode): Promise<void> {
    const args = options.config === undefined ? [] : ['-c', configFile]
    args.push('-a', '127.0.0.1', '-p', String(node.port), '-n', node.name, '-js', '-sd', node.dir)
    if (options.routed !== false) args.push('--cluster_name', 'nexus-test', '--cluster', `nats://127.0.0.1:${node.clusterPort}`, '--routes', routes)
    node.process = spawn(binary, args, { stdio: 'ignore' })
    for (let t = 0; t < 100 && !(await accepts(node.port)); t++) await new Promise((r) => setTimeout(r, 100))
  }

  /** SIGKILL: the node stops mid-write, as a crashed host would. */
  async function kill(node: ClusterNode): Promise<void> {
    const child = node.process
    if (!child || child.exitCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await exited
    node.process = undefined
  }

  await Promise.all(nodes.map(start))
  return {
    nodes,
    urls: nodes.map((n) => n.url),
    start,
    kill,
    byName: (name: string) => nodes.find((n) => n.name === name)!,
    async stop() {
      for (const node of nodes) await kill(node)
      await rm(root, { recursive: true, force: true })
    },
  }
}
