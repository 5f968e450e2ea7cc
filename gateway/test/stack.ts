// Test fixture: a real 3-of-4 stack (replica child processes + gateway) in a temp directory.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildHandler } from '@nexus/runtime'
import { ensureGatewayKey, ensureKeys, repoRoot, startReplicas, type ReplicaProcess } from '@nexus/cli/dev'
import { createGateway, type CreateGatewayParameters, type Gateway } from '../src/index.ts'
import type { Network } from '@nexus/protocol/attest'

export const API_KEY = 'test-deploy-key'

let built: Promise<{ manifest: Record<string, unknown>; component: string }> | undefined
/** Build examples/hello once per test file. */
export function helloArtifact(name = 'hello') {
  built ??= buildHandler(join(repoRoot, 'examples/hello/handler.ts'), { name: 'hello' }).then((a) => ({
    manifest: a.manifest as unknown as Record<string, unknown>,
    component: Buffer.from(a.component).toString('base64'),
  }))
  return built.then((a) => ({ ...a, manifest: { ...a.manifest, name } }))
}

/** `gatewayKey`: what the replicas authenticate the gateway by (keysDir/gateway.key, as `nexus dev`). */
export type Stack = { root: string; keysDir: string; network: Network; replicas: ReplicaProcess[]; gatewayKey: Uint8Array }

export async function startStack(): Promise<Stack> {
  const root = await mkdtemp(join(tmpdir(), 'nexus-gw-'))
  const keysDir = join(root, 'keys')
  const { network } = await ensureKeys(keysDir, { t: 3, n: 4 })
  const gatewayKey = await ensureGatewayKey(keysDir)
  const replicas = await startReplicas(root, keysDir, 4)
  return { root, keysDir, network, replicas, gatewayKey }
}

export async function startGateway(
  stack: Stack,
  urls = stack.replicas.map((r) => r.url),
  dataDir?: string,
  batching?: CreateGatewayParameters['batching'],
  extra: Partial<CreateGatewayParameters> = {},
): Promise<{ gateway: Gateway; url: string }> {
  const gateway = await createGateway({
    database: process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL, schema: `gw_${Date.now()}_${Math.floor(Math.random() * 1e6)}` } : { dataDir },
    replicas: urls,
    gatewayKey: stack.gatewayKey,
    network: stack.network,
    apiKeys: [API_KEY],
    batching,
    logger: process.env.NEXUS_DEBUG ? (m) => console.error(`[gateway] ${m}`) : undefined,
    ...extra,
  })
  const port = await gateway.listen(0)
  return { gateway, url: `http://127.0.0.1:${port}` }
}

export async function deploy(url: string, artifact: { manifest: Record<string, unknown>; component: string }) {
  return fetch(`${url}/v1/functions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(artifact),
  })
}
