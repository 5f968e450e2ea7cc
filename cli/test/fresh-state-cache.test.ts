// What a fresh state folder (`rm -rf .nexus`) keeps: `nexus replica` compiles into the user's
// Nexus cache by default (NEXUS_CACHE_DIR here), not into its data folder, so a replica of another
// state folder deploying the same code reuses the entry instead of compiling again; its PGlite
// data folder starts from the cache's initdb template. Real replica processes, signed requests.
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildHandler, signRequest, type Artifact } from '@nexus/runtime'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { ensureGatewayKey, ensureKeys, startReplica, type ReplicaProcess } from '../src/dev/index.ts'

let base: string
let cache: string
let keysDir: string
let gatewayKey: Uint8Array
let artifact: Artifact
const started: ReplicaProcess[] = []
const previousCache = process.env.NEXUS_CACHE_DIR
// The template is PGlite's: with DATABASE_URL (as CI sets it) the replicas would use PostgreSQL.
const previousDatabaseUrl = process.env.DATABASE_URL

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'nexus-fresh-state-'))
  cache = join(base, 'cache')
  // Inherited by the replica processes (dev/index.ts passes this process's environment on).
  process.env.NEXUS_CACHE_DIR = cache
  delete process.env.DATABASE_URL
  keysDir = join(base, 'keys')
  await ensureKeys(keysDir, { t: 1, n: 1 })
  gatewayKey = await ensureGatewayKey(keysDir)
  const handler = join(base, 'handler.ts')
  await writeFile(handler, 'export function handle(input: Uint8Array): Uint8Array {\n  return new TextEncoder().encode(`fresh ${input.length}`)\n}\n')
  artifact = await buildHandler(handler, { name: 'fresh-state' })
}, 120_000)

afterAll(async () => {
  await Promise.all(started.map((r) => r.stop()))
  if (previousCache === undefined) delete process.env.NEXUS_CACHE_DIR
  else process.env.NEXUS_CACHE_DIR = previousCache
  if (previousDatabaseUrl !== undefined) process.env.DATABASE_URL = previousDatabaseUrl
  await rm(base, { recursive: true, force: true })
})

/** POST /v1/artifacts to a replica, signed with the gateway key, as the gateway pushes a deploy. */
async function deploy(replica: ReplicaProcess): Promise<void> {
  const body = new TextEncoder().encode(JSON.stringify({ manifest: artifact.manifest, component: Buffer.from(artifact.component).toString('base64') }))
  const res = await fetch(`${replica.url}/v1/artifacts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signRequest(gatewayKey, 'POST', '/v1/artifacts', body) },
    body,
  })
  expect(res.status, await res.clone().text()).toBe(200)
}

/** A replica of its own state folder, with no --compile-cache: the default is under test. */
async function replicaIn(state: string): Promise<ReplicaProcess> {
  const replica = await startReplica({ index: 1, dataDir: join(state, 'replica-1'), keyFile: join(keysDir, 'replica-1.key.json') })
  started.push(replica)
  return replica
}

/** The compile entries in the cache folder: no lock, no temporary folder. */
const entriesIn = async (compiled: string) => (await readdir(compiled)).filter((e) => !e.includes('.lock') && !e.includes('.tmp-'))

test('two state folders share one compile in the user cache: the second deploy reuses it, and both data folders came from the initdb template', {
  timeout: 300_000,
}, async () => {
  const first = await replicaIn(join(base, 'state-a'))
  await deploy(first)
  const compiled = join(cache, 'compiled')
  const entries = await entriesIn(compiled)
  expect(entries).toHaveLength(1)
  // In the user's cache, the QuickJS engine module metered once for every function and compile cache (runtime/src/build/metered-modules.ts).
  expect(await readdir(join(cache, 'metered-modules'))).toHaveLength(1)
  expect(entries[0]!.startsWith(artifact.manifest.codeHash.slice(2))).toBe(true)
  // Nothing compiled into the state folder (the default before: <data>/artifacts).
  expect(existsSync(join(base, 'state-a', 'replica-1', 'artifacts'))).toBe(false)
  const ready = await stat(join(compiled, entries[0]!, 'READY'))
  await first.stop()

  const second = await replicaIn(join(base, 'state-b'))
  await deploy(second)
  // The same entry, not written again: a compile replaces the whole folder (a new READY).
  expect(await entriesIn(compiled)).toEqual(entries)
  const again = await stat(join(compiled, entries[0]!, 'READY'))
  expect([again.ino, again.mtimeMs]).toEqual([ready.ino, ready.mtimeMs])

  // Both replicas' PGlite folders were seeded from one template of the installed PGlite.
  expect((await readdir(join(cache, 'pglite'))).filter((e) => e.startsWith('initdb-') && !e.endsWith('.lock') && !e.includes('.tmp-'))).toHaveLength(1)
  for (const state of ['state-a', 'state-b']) expect(existsSync(join(base, state, 'replica-1', 'db', 'PG_VERSION'))).toBe(true)
})
