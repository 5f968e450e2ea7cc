// One replica: deploys artifacts, applies each function's invocations strictly in seq order on
// its own store (apply-invocations.ts), and signs every result with its key share.
import { toHex, type Address, type Hex } from 'viem'
import { merkleRoot } from '@nexus/protocol/attest'
import { upgradableShareSigner } from '@nexus/protocol/attest'
import { openStore, type OpenStoreOptions } from '../store/database.ts'
import { createHotStore, type HotStoreOptions } from '../store/hot-store.ts'
import type { HexStateProof } from '../store/state-root.ts'
import { compileComponent } from '../build/compile.ts'
import { codeHashOf, type Manifest } from '../build/artifact.ts'
import { InvalidArtifactError } from '../build/errors.ts'
import { createSandbox } from '../sandbox/sandbox.ts'
import { createWatchdogMemory } from './watchdog-abort.ts'
import type { ExecuteRequest, ExecutedBatch, ExecutedResult } from '@nexus/protocol'
import { BadRequestError, UnknownCodeError, VersionConflictError } from './errors.ts'
import type { CacheStats } from '../sandbox/compiled-cache.ts'
import type { ReadRequest } from '../sandbox/sync-channel.ts'
import { createVersionStore, type FunctionVersion } from '../store/function-versions.ts'
import { createChainReader } from '../chain/reader.ts'
import { createApplier } from './apply-invocations.ts'

export type ReplicaOptions = {
  /** Share index (1..n). */
  index: number
  /** PGlite data directory. Default: in memory. */
  dataDir?: string
  /** PostgreSQL URL; this replica's tables live in `schema`. Default: embedded PGlite. */
  databaseUrl?: string
  /** Default: `replica_<index>`. */
  schema?: string
  /** Where compiled (metered) artifacts are cached. */
  cacheDir: string
  /** This replica's key share; without it results are unsigned. */
  shareKey?: { index: number; secretKey: Hex }
  /** Share signing engine (protocol/src/attest/wasm-loader.ts). Default: `wasm`, falling back to `noble`. */
  signer?: 'wasm' | 'noble'
  /**
   * Sign with noble until `upgradeSigner()` builds the WebAssembly engine, instead of building it
   * before createReplica resolves (≈ 0.6 s of CPU off the start; `nexus replica` upgrades once it
   * listens). Default: false.
   */
  deferWasmSigner?: boolean
  /** Where start-up notes go (e.g. a signer fallback). Default: nowhere. */
  warn?: (message: string) => void
  chainId: bigint
  /** The verifier contract address results are bound to. */
  verifier: Address
  /** Instantiate anew for every invocation instead of restoring the pristine snapshot. Default: false. */
  freshInstances?: boolean
  /** Wall-clock backstop per invocation. Default: 30 s. */
  watchdogMs?: number
  /**
   * Byte budget of the sandbox's component cache (compiled modules and pristine instances by code
   * hash, least recently used evicted first; sandbox/compiled-cache.ts). Default: 64 MiB.
   */
  memoryBudgetBytes?: number
  /** JSON-RPC URL per chain id for the handlers' chain reads. Default: none (reads answer 503). */
  rpc?: Record<string, string>
  /** Write-behind tuning (flush delay, caches); see runtime/src/store/hot-store.ts. */
  store?: HotStoreOptions
  /**
   * Refuse an execute whose code hash is not the version bound to its function at its seq
   * (`bindVersions`). Only in-process embedders that do their own ordering (the runtime's own
   * unit tests) turn this off; the replica process never does. Default: true.
   */
  requireVersions?: boolean
  /**
   * Replace the random seed the replica derives for an invocation (its `env.random`). Only the test
   * harness (`@nexus/framework/testing`'s `seed`) sets it; a real replica never does, since every
   * replica must derive the same seed from the invocation alone.
   */
  randomSeed?: (request: ExecuteRequest, derived: Hex) => Hex
}

/** A state read (not a chain read): `kv.get`, `kv.scan`, `fs.get`, `fs.children`, `fs.descendants`. */
export type StateRead = Exclude<ReadRequest, { op: `chain.${string}` }>

// The request and answer shapes are the replica API's (protocol/src/replica-wire.ts).
export type { ExecuteRequest, ExecutedBatch, ExecutedResult }

/** Most invocations one batch request may carry. */
export const MAX_BATCH = 1024

export type Replica = {
  index: number
  deploy(artifact: { component: Uint8Array; manifest: Manifest }): Promise<{ codeHash: Hex }>
  hasCode(codeHash: string): Promise<boolean>
  execute(request: ExecuteRequest): Promise<ExecutedResult>
  /**
   * Apply consecutive seqs of one function and sign ONE share over the
   * Merkle root of their digests (docs/protocol.md §4). Seqs already applied are answered from the
   * record, as with `execute`.
   */
  executeBatch(requests: ExecuteRequest[]): Promise<ExecutedBatch>
  state(functionId: string): Promise<{ lastAppliedSeq: bigint; stateRoot: Hex }>
  /**
   * Record which code the function runs from which seq, as the gateway deployed it. A version that
   * would change the code of an already applied seq is refused (VersionConflictError).
   */
  bindVersions(functionId: string, versions: FunctionVersion[]): Promise<void>
  /** The function's versions, by fromSeq. */
  versions(functionId: string): Promise<FunctionVersion[]>
  /**
   * Forget everything of one function (state, applied results, versions): the repair of a
   * replica that diverged from the log; the gateway then re-applies the function from seq 1.
   */
  resetFunction(functionId: string): Promise<void>
  /** The proof of one KV key's value or absence against the current state root (docs/runtime.md, "State root and proofs"). */
  proveKey(functionId: string, key: string): Promise<HexStateProof>
  /** One read of a function's current state (a KV key, a file, a listing), as the sandbox reads it: for tests and tools that inspect state. */
  read(functionId: string, request: StateRead): Promise<unknown>
  /** The sandbox's component cache (bytes, entries, evictions) as its worker last reported it: for /metrics. */
  sandboxCache(): CacheStats
  /** Builds the WebAssembly share signer (see `deferWasmSigner`); until then shares are signed with noble. */
  upgradeSigner(): Promise<void>
  /** Flushes unflushed invocations and closes the store. `discardUnflushed` (tests only) drops them, as a crash would. */
  close(options?: { discardUnflushed?: boolean }): Promise<void>
}

export async function createReplica(options: ReplicaOptions): Promise<Replica> {
  const storeOptions: OpenStoreOptions = {
    dataDir: options.dataDir,
    databaseUrl: options.databaseUrl,
    schema: options.schema ?? `replica_${options.index}`,
    migrations: 'replica',
  }
  const handle = await openStore(storeOptions)
  const store = createHotStore(handle.db, options.store)
  const versionStore = createVersionStore(handle.db)
  const requireVersions = options.requireVersions ?? true
  const sandbox = createSandbox({ watchdogMs: options.watchdogMs, memoryBudgetBytes: options.memoryBudgetBytes })
  // Each function's latest code: a component no function's latest version runs is dropped from the
  // sandbox's cache (an older seq that still needs it loads it again from the compile cache).
  const liveCode = new Map<string, string>()
  const retire = (functionId: string, latest: string | undefined) => {
    const previous = liveCode.get(functionId)
    if (latest === undefined) liveCode.delete(functionId)
    else liveCode.set(functionId, latest)
    if (previous !== undefined && previous !== latest && ![...liveCode.values()].includes(previous)) sandbox.forget([previous])
  }
  const compiled = new Map<string, Promise<{ dir: string; manifest: Manifest }>>()
  const queues = new Map<string, Promise<unknown>>()
  const chain = createChainReader({ rpc: options.rpc ?? {} })
  const watchdogs = createWatchdogMemory()
  const signer = options.shareKey ? upgradableShareSigner(options.shareKey, options.warn) : undefined
  const upgradeSigner = async () => {
    if (options.signer !== 'noble') await signer?.upgrade()
  }
  if (!options.deferWasmSigner) await upgradeSigner()
  const signShare = signer?.sign

  // Deploys being compiled and stored, by code hash. The gateway pushes a new artifact as it answers
  // the deploy, so the function's first invocation can arrive while the push is still being stored:
  // that invocation waits for it here instead of failing with UNKNOWN_CODE, which made the gateway
  // push the 1.6 MB artifact again and retry (≈ 0.5–0.8 s more for a new function's first call).
  // A deploy that stored its artifact resolves to what `load` returns (that very manifest and
  // compile): the first invocation does not read the 1.6 MB artifact back nor check its compile again.
  const deploying = new Map<string, Promise<{ dir: string; manifest: Manifest } | undefined>>()

  function load(codeHash: string) {
    let entry = compiled.get(codeHash)
    if (!entry) {
      entry = (async () => {
        const deployed = await deploying.get(codeHash)?.catch(() => undefined)
        if (deployed) return deployed
        const artifact = await store.loadArtifact(codeHash)
        if (!artifact) throw new UnknownCodeError(codeHash)
        const manifest = artifact.manifest as Manifest
        const { dir } = await compileComponent(artifact.component, { cacheDir: options.cacheDir, memoryPages: manifest.limits.memoryPages })
        return { dir, manifest }
      })()
      compiled.set(codeHash, entry)
      entry.catch(() => compiled.delete(codeHash))
    }
    return entry
  }

  const { applyAll } = createApplier({
    store,
    versionStore,
    sandbox,
    chain,
    watchdogs,
    load,
    signShare,
    chainId: options.chainId,
    verifier: options.verifier,
    requireVersions,
    freshInstances: options.freshInstances,
    randomSeed: options.randomSeed,
  })

  return {
    index: options.index,
    upgradeSigner,
    async deploy({ component, manifest }) {
      const codeHash = codeHashOf(component) as Hex
      if (manifest.codeHash !== codeHash) {
        throw new InvalidArtifactError(`Manifest code hash ${manifest.codeHash} does not match the component (${codeHash}).`)
      }
      // Compile before recording, so an invalid component is rejected and nothing is stored.
      const compiled = compileComponent(component, { cacheDir: options.cacheDir, memoryPages: manifest.limits.memoryPages })
      const stored = (async () => {
        const { dir } = await compiled
        // Only when this deploy stored it is its manifest the stored one (the first manifest stays).
        return (await store.saveArtifact(codeHash, manifest, component)) ? { dir, manifest } : undefined
      })()
      deploying.set(codeHash, stored)
      try {
        await stored
      } finally {
        if (deploying.get(codeHash) === stored) deploying.delete(codeHash)
      }
      // A deployed function is about to be called (the gateway pushes an artifact when it is
      // deployed): its first call should not wait for its instance.
      void sandbox.prepare(codeHash, (await compiled).dir).catch(() => {})
      return { codeHash }
    },
    async hasCode(codeHash) {
      return (await store.loadArtifact(codeHash)) !== undefined
    },
    execute(request) {
      return enqueue(request.functionId, async () => (await applyAll([request], true))[0]!)
    },
    async executeBatch(requests) {
      if (requests.length === 0 || requests.length > MAX_BATCH) throw new BadRequestError(`a batch holds 1..${MAX_BATCH} invocations`)
      const functionId = requests[0]!.functionId
      requests.forEach((r, i) => {
        if (r.functionId !== functionId || r.seq !== requests[0]!.seq + BigInt(i)) throw new BadRequestError('a batch is consecutive seqs of one function')
      })
      return enqueue(functionId, () => applyBatch(requests))
    },
    async state(functionId) {
      const s = await store.state(functionId)
      return { lastAppliedSeq: s.lastAppliedSeq, stateRoot: toHex(s.stateRoot) }
    },
    bindVersions(functionId, incoming) {
      return enqueue(functionId, async () => {
        const { lastAppliedSeq } = await store.state(functionId)
        const before = await versionStore.list(functionId)
        const byFrom = new Map(before.map((v) => [v.fromSeq, v.codeHash]))
        for (const v of incoming) byFrom.set(v.fromSeq, v.codeHash)
        const after = [...byFrom].map(([fromSeq, codeHash]) => ({ fromSeq, codeHash })).sort((a, b) => (a.fromSeq < b.fromSeq ? -1 : 1))
        const activeAt = (list: FunctionVersion[], seq: bigint) => list.filter((v) => v.fromSeq <= seq).at(-1)?.codeHash
        // The code only changes at a fromSeq: comparing there covers every applied seq.
        for (const seq of new Set([...before, ...after].map((v) => v.fromSeq))) {
          if (seq > lastAppliedSeq) continue
          const was = activeAt(before, seq)
          if (was !== undefined && was !== activeAt(after, seq))
            throw new VersionConflictError(`Seq ${seq} of ${functionId} was applied with ${was}; a version cannot change the code of applied seqs.`)
        }
        await versionStore.save(functionId, incoming)
        retire(functionId, after.at(-1)?.codeHash)
      })
    },
    versions(functionId) {
      return versionStore.list(functionId)
    },
    resetFunction(functionId) {
      return enqueue(functionId, async () => {
        await store.dropFunction(functionId)
        await versionStore.drop(functionId)
        retire(functionId, undefined)
      })
    },
    async proveKey(functionId, key) {
      const { siblings, other } = await store.proveKey(functionId, key)
      return { siblings: siblings.map((h) => toHex(h)), ...(other && { other: { key: toHex(other.key), leaf: toHex(other.leaf) } }) }
    },
    read(functionId, request) {
      return store.read(functionId, request)
    },
    sandboxCache: () => sandbox.cacheStats(),
    async close(closeOptions) {
      await Promise.allSettled([...queues.values()])
      await sandbox.close()
      try {
        await (closeOptions?.discardUnflushed ? store.abandon() : store.close())
      } finally {
        await handle.close()
      }
    },
  }

  async function applyBatch(requests: ExecuteRequest[]): Promise<ExecutedBatch> {
    // One sandbox message runs the batch (apply-invocations.ts); the hot store groups its writes
    // into few transactions (write-behind). A failure part-way keeps the seqs applied before it,
    // which a resend answers from the record.
    const results = await applyAll(requests, false)
    const root = merkleRoot(results.map((r) => r.digest))
    return {
      results: results.map(({ share: _share, ...rest }) => rest),
      root,
      share: signShare?.(root),
    }
  }

  function enqueue<T>(functionId: string, run: () => Promise<T>): Promise<T> {
    // One function's invocations never overlap: each starts after the previous one committed.
    const prior = queues.get(functionId) ?? Promise.resolve()
    const next = prior.then(run)
    const settled = next.catch(() => undefined)
    queues.set(functionId, settled)
    void settled.then(() => {
      if (queues.get(functionId) === settled) queues.delete(functionId)
    })
    return next
  }
}
