// The embedded dev stack: key files on first run, n replica child processes (`nexus replica`),
// and a gateway on PGlite, all under one directory (`.nexus/` for `nexus dev`). Tests and the
// benchmark use the same functions, so what they exercise is what `npm start` runs. Secrets reach
// the children as file paths (the share key file), never on their command line.
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { bundleProcessEntry, loadGatewayKey } from '@nexus/runtime'
import { spawnUntilEvent } from './spawn-event.ts'
import { fileURLToPath } from 'node:url'
import { zeroAddress, type Address } from 'viem'
import { randomBytes } from 'node:crypto'
import { dealerKeygen, encodeG2, parseNetwork, sharePublicKey, type Network } from '@nexus/protocol/attest'

/** The repository checkout this file is in (from cli/src/dev or cli/dist/dev alike). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
// Replicas run `nexus replica` with the same code as this process: the compiled main.js from dist/,
// or in the repository the TypeScript source bundled into one plain module (replica-bundle.ts).
const fromSource = import.meta.url.endsWith('.ts')
export const nodeFlags = [
  '--experimental-wasm-extended-const',
  // A replica's live heap is tens of MB (its state is in PGlite, its guests' memories outside the
  // heap); without a cap V8 let garbage (deploy bodies, batches) grow the heap to hundreds of MB
  // before collecting it. The cap makes it collect sooner; it is far above what a replica keeps.
  '--max-old-space-size=256',
]
/**
 * A replica's malloc settings (glibc reads them at start; other C libraries ignore them; the
 * caller's environment wins). Measured with `npm run bench -- replica-memory` (docs/runtime.md,
 * "Memory"):
 * - two arenas, not glibc's 8 per core: the worker threads' arenas (sandbox, compile, V8's
 *   compiler threads) held ≈ 100 MB of freed memory per replica;
 * - blocks of 32 KiB and more mapped on their own, so freeing one returns it. glibc's own threshold
 *   starts at 128 KiB and rises to the size of every mapped block freed (up to 32 MiB); from then on
 *   V8's compiler memory (compiling PGlite's and the guests' WebAssembly) and buffers come from the
 *   arenas, whose free holes are never given back: a replica held ≈ 130–150 MB of free malloc memory
 *   idle and after a backfill, with 12–30 MB in use. 64 KiB still left ≈ 50 MB of holes after
 *   PGlite's compile; 32 KiB ≈ 6 MB.
 */
export const replicaEnv = (): NodeJS.ProcessEnv => ({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '32768', ...process.env })
/** The script and leading arguments that run `nexus replica`. */
export const replicaCommand = async (): Promise<string[]> =>
  fromSource
    ? [await bundleProcessEntry(fileURLToPath(new URL('../replica-main.ts', import.meta.url)))]
    : [fileURLToPath(new URL('../main.js', import.meta.url)), 'replica']

/** Generate dealer keys (t-of-n) into `dir` unless network.json already exists. Returns the network. */
export async function ensureKeys(
  dir: string,
  { t, n, chainId = '31337', verifier = zeroAddress }: { t: number; n: number; chainId?: string; verifier?: string },
): Promise<{ network: Network; created: boolean }> {
  const networkFile = join(dir, 'network.json')
  // The key directory holds the share secrets: this user's alone, also when it already existed.
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
  if (existsSync(networkFile)) return { network: parseNetwork(JSON.parse(await readFile(networkFile, 'utf8'))), created: false }
  const { network, shares } = dealerKeygen({ t, n })
  network.chainId = chainId
  network.verifier = verifier as `0x${string}`
  for (const share of shares) {
    const path = join(dir, `replica-${share.index}.key.json`)
    const file = {
      protocol: 'nexus.result.v1',
      index: share.index,
      secretKey: share.secretKey,
      publicKey: encodeG2(sharePublicKey(share)),
      t,
      n,
      groupPublicKey: network.groupPublicKey,
    }
    await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 })
    await chmod(path, 0o600)
  }
  await writeFile(networkFile, `${JSON.stringify(network, null, 2)}\n`)
  return { network: parseNetwork(network), created: true }
}

/** The file holding the secret replicas authenticate their gateway by, in a keys directory. */
export const gatewayKeyFile = (keysDir: string) => join(keysDir, 'gateway.key')

/**
 * The gateway key of a keys directory: read, or on first run generated (32 random bytes, hex) and
 * written with mode 0600. The dev stack hands the file to replicas and the bytes to the gateway.
 */
export async function ensureGatewayKey(keysDir: string): Promise<Uint8Array> {
  const file = gatewayKeyFile(keysDir)
  if (!existsSync(file)) {
    await mkdir(keysDir, { recursive: true })
    // 'wx': two stacks starting at once on one directory never overwrite each other's key.
    await writeFile(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err
    })
  }
  await chmod(file, 0o600)
  return loadGatewayKey(file)!
}

/**
 * Pin the network in `dir/network.json` to a chain and the `NexusVerifier` deployed there, so the
 * results the replicas sign can be checked on-chain (the digest commits to chainId and verifier).
 * Rewrites the file only when the binding changed (a redeployed verifier moves it); the keys stay.
 */
export async function bindNetwork(dir: string, binding: { chainId: string; verifier: Address }): Promise<{ network: Network; changed: boolean }> {
  const networkFile = join(dir, 'network.json')
  const raw = JSON.parse(await readFile(networkFile, 'utf8')) as Record<string, unknown>
  const changed = raw.chainId !== binding.chainId || String(raw.verifier ?? '').toLowerCase() !== binding.verifier.toLowerCase()
  if (changed) await writeFile(networkFile, `${JSON.stringify({ ...raw, chainId: binding.chainId, verifier: binding.verifier }, null, 2)}\n`)
  return { network: parseNetwork(changed ? { ...raw, chainId: binding.chainId, verifier: binding.verifier } : raw), changed }
}

export type ReplicaProcess = {
  index: number
  url: string
  port: number
  child: ChildProcess
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>
  /** SIGKILL and wait for exit (a crash). */
  kill(): Promise<void>
}

export type StartReplicaParameters = {
  index: number
  dataDir: string
  keyFile: string
  /** File holding the gateway key (`--gateway-key-file`). Default: `gateway.key` beside `keyFile`. */
  gatewayKeyFile?: string
  /** Default: 0 (any free port). */
  port?: number
  chainId?: string
  verifier?: string
  /** Where the child's stderr goes. Default: discarded unless NEXUS_DEBUG is set. */
  onLog?: (line: string) => void
  /** JSON-RPC URL per chain id for handlers' chain reads (`--rpc <chainId>=<url>`). */
  rpc?: Record<string, string>
  /** Compile cache shared with the other replicas of this stack (`--compile-cache`). Default: the replica's own. */
  compileCache?: string
  /** Extra Node flags for the child, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS) for the events bench. */
  nodeArgs?: string[]
}

/** Spawn `nexus replica` and wait for its `listening` line. */
export async function startReplica(p: StartReplicaParameters): Promise<ReplicaProcess> {
  const args = [
    ...nodeFlags,
    ...(p.nodeArgs ?? []),
    ...(await replicaCommand()),
    '--index',
    String(p.index),
    '--port',
    String(p.port ?? 0),
    '--data',
    p.dataDir,
    '--key',
    p.keyFile,
    '--gateway-key-file',
    p.gatewayKeyFile ?? join(dirname(p.keyFile), 'gateway.key'),
  ]
  if (p.chainId) args.push('--chain-id', p.chainId)
  if (p.verifier) args.push('--verifier', p.verifier)
  for (const [chainId, url] of Object.entries(p.rpc ?? {})) args.push('--rpc', `${chainId}=${url}`)
  if (p.compileCache) args.push('--compile-cache', p.compileCache)
  await mkdir(p.dataDir, { recursive: true })
  // The IPC channel is the child's lifeline: `nexus replica` stops when it closes, so a replica
  // never outlives this process however it dies. Its own process group: a terminal's Ctrl-C reaches
  // only this process, which stops the replicas after the gateway has drained.
  const spawned = await spawnUntilEvent({
    label: `replica ${p.index}`,
    args,
    event: 'listening',
    cwd: repoRoot,
    env: replicaEnv(),
    lifeline: true,
    onLog: p.onLog ?? (process.env.NEXUS_DEBUG ? (l: string) => console.error(`[replica ${p.index}] ${l}`) : undefined),
  })
  const port = Number(spawned.ready.port)
  return { index: p.index, port, url: `http://127.0.0.1:${port}`, child: spawned.child, stop: spawned.stop, kill: spawned.kill }
}

/** Start replicas 1..n of a key directory, each with its data under `<root>/replica-<i>`. */
export async function startReplicas(
  root: string,
  keysDir: string,
  n: number,
  ports?: number[],
  options: {
    rpc?: Record<string, string>
    chainId?: string
    verifier?: string
    /** One compile cache for all of them (`--compile-cache`). Default: each replica its own. */
    compileCache?: string
  } = {},
): Promise<ReplicaProcess[]> {
  await ensureGatewayKey(keysDir)
  const settled = await Promise.allSettled(
    Array.from({ length: n }, (_, k) =>
      startReplica({
        index: k + 1,
        dataDir: join(root, `replica-${k + 1}`),
        keyFile: join(keysDir, `replica-${k + 1}.key.json`),
        port: ports?.[k],
        rpc: options.rpc,
        chainId: options.chainId,
        verifier: options.verifier,
        compileCache: options.compileCache,
      }),
    ),
  )
  const failed = settled.find((s) => s.status === 'rejected')
  if (failed) {
    // Never leave children behind when one of them could not start.
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)))
    throw failed.reason
  }
  return settled.map((s) => (s as PromiseFulfilledResult<ReplicaProcess>).value)
}
export { startDevnet, DEVNET_CHAIN_ID, DEVNET_PORT, DEVNET_RELAYER_KEY, type Devnet, type DevnetContracts, type StartDevnetParameters } from './devnet.ts'
