// Test fixture: a real t-of-n network whose replicas run in the test process (each on its own
// in-memory PGlite store, served over real HTTP on its own port) behind a real gateway. Cheaper
// to start than replica child processes on a loaded machine, with the same HTTP API and code
// path; a replica is "down" when its server is closed.
import { randomBytes } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve, type ServerType } from '@hono/node-server'
import { zeroAddress } from 'viem'
import { dealerKeygen, type Network } from '@nexus/protocol/attest'
import { createReplica, createReplicaApp, type Replica } from '@nexus/runtime'
import { createGateway, type CreateGatewayParameters, type Gateway } from '../src/index.ts'

export type InProcessStack = {
  url: string
  gateway: Gateway
  network: Network
  replicas: Replica[]
  /** The replicas' base URLs and the key they authenticate the gateway by (for a second scheduler). */
  replicaUrls: string[]
  gatewayKey: Uint8Array
  /** Close replica `index`'s HTTP server (1-based): the gateway sees it down. */
  stopReplica(index: number): Promise<void>
  close(): Promise<void>
}

export async function startInProcessStack({
  t = 3,
  n = 4,
  gateway: extra = {},
}: {
  t?: number
  n?: number
  gateway?: Partial<CreateGatewayParameters>
} = {}): Promise<InProcessStack> {
  const keys = dealerKeygen({ t, n })
  keys.network.chainId = '31337'
  keys.network.verifier = zeroAddress
  const root = await mkdtemp(join(tmpdir(), 'nexus-inproc-'))
  const replicas = await Promise.all(
    Array.from({ length: n }, (_, k) =>
      createReplica({ index: k + 1, cacheDir: join(root, 'cache'), shareKey: keys.shares[k], chainId: 31337n, verifier: zeroAddress }),
    ),
  )
  const gatewayKey = new Uint8Array(randomBytes(32))
  const servers: (ServerType | undefined)[] = []
  const urls = await Promise.all(
    replicas.map(
      (r, k) =>
        new Promise<string>((resolve) => {
          servers[k] = serve({ fetch: createReplicaApp(r, { gatewayKey }).fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
            resolve(`http://127.0.0.1:${info.port}`),
          )
        }),
    ),
  )
  const gateway = await createGateway({
    gatewayKey,
    replicas: urls,
    network: keys.network,
    apiKeys: ['k'],
    cron: false,
    logger: process.env.NEXUS_DEBUG ? (m) => console.error(`[gateway] ${m}`) : undefined,
    ...extra,
  })
  const url = `http://127.0.0.1:${await gateway.listen(0)}`
  const stopReplica = async (index: number) => {
    const server = servers[index - 1]
    servers[index - 1] = undefined
    if (!server) return
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
    })
  }
  return {
    url,
    gateway,
    network: keys.network,
    replicas,
    replicaUrls: urls,
    gatewayKey,
    stopReplica,
    async close() {
      await gateway.close()
      for (let i = 1; i <= n; i++) await stopReplica(i)
      await Promise.allSettled(replicas.map((r) => r.close()))
    },
  }
}
