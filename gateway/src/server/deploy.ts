// POST /v1/functions: a deploy is checked completely before anything is stored or 201 is sent.
// Cheap checks first (key, JSON, manifest fields and limits, component header and code hash,
// ownership, a conflicting stored manifest), then the expensive one: the component must target
// the nexus:function world and compile the way replicas compile it (runtime/src/build/
// check-component.ts). Accepting an artifact no replica can run would leave its function pending
// forever, so that is a 400 naming the field, never a 201. The answer says which version the
// function now runs (1-based) and the seq it runs from (`fromSeq`: earlier seqs keep their version).
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { checkComponent } from '@nexus/runtime/build'
import { InvalidManifestError, parseManifest, sameManifest } from '@nexus/runtime/build'
import { ArtifactConflictError, InvalidRequestError, MalformedJsonError, PayloadTooLargeError, UnauthorizedError } from '../errors.ts'
import { assertMayRepoint, type ArtifactRecord, type DeployerIdentity, type Log } from '../log/index.ts'
import type { Scheduler } from '../scheduler/index.ts'

export type MountDeployParameters = {
  log: Log
  scheduler: Scheduler
  /** Deploy keys: each may create functions and repoint the ones it created. */
  apiKeys: string[]
  /** Admin keys: deploy keys that may also repoint any function. Default: none. */
  adminKeys?: string[]
  /** Max deploy body, bytes. */
  deployBytes: number
  /** Called after a new artifact or version is stored (push it to replicas), with what was stored. */
  onArtifact?: (artifact: StoredArtifact) => void
  /** The replicas' shared compile cache, when they share one on this machine: the check's compile is kept there. */
  compileCache?: string
  /** The component check. Default: checkComponent (world + the replicas' compile path). */
  check?: (component: Uint8Array, options: { memoryPages: number }) => Promise<void>
}

/** An artifact as the log stores it: manifest and base64 of the component, under its code hash. */
export type StoredArtifact = Pick<ArtifactRecord, 'codeHash' | 'manifest' | 'component'>

/** The key's fingerprint: what the log stores as a function's owner (never the key itself). */
export const keyFingerprint = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex')

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

const matches = (given: Buffer, keys: string[]) =>
  keys.some((k) => {
    const want = Buffer.from(k)
    return want.length === given.length && timingSafeEqual(want, given)
  })

/** The caller's identity from `Authorization: Bearer <key>`, or UnauthorizedError. */
export function authenticate(c: Context, apiKeys: string[], adminKeys: string[]): DeployerIdentity {
  const match = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')
  if (!match) throw new UnauthorizedError('Missing deployer API key (Authorization: Bearer <key>).')
  const given = Buffer.from(match[1]!)
  const admin = matches(given, adminKeys)
  if (!admin && !matches(given, apiKeys)) throw new UnauthorizedError('Invalid deployer API key.')
  return { fingerprint: keyFingerprint(match[1]!), admin }
}

async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text()
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new MalformedJsonError('Request body is not valid JSON.', { cause: err })
  }
}

/** The deploy body's artifact: manifest checked field by field, component decoded and matched to its code hash. */
function parseArtifact(body: unknown) {
  if (!isObject(body)) throw new InvalidRequestError('Expected a JSON object { manifest, component }.')
  const manifest = parseManifest(body.manifest)
  const { component } = body
  if (typeof component !== 'string' || component.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(component))
    throw new InvalidManifestError('component', 'expected base64 of the component bytes.')
  const bytes = new Uint8Array(Buffer.from(component, 'base64'))
  // Component model binaries: "\0asm" then version 0x0d 0x00 and layer 0x01 0x00.
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d || bytes[6] !== 1 || bytes[7] !== 0)
    throw new InvalidManifestError('component', 'not a WebAssembly component (bad header).')
  const codeHash = `0x${createHash('sha256').update(bytes).digest('hex')}`
  if (codeHash !== manifest.codeHash)
    throw new InvalidManifestError('manifest.codeHash', `${manifest.codeHash} does not match the component (sha256 ${codeHash}).`)
  return { manifest, bytes, base64: component, codeHash, name: manifest.name }
}

/** Adds `POST /functions` to `app` (the gateway mounts it on its `/v1` router). */
export function mountDeploy(app: Hono, p: MountDeployParameters): void {
  const adminKeys = p.adminKeys ?? []
  const check = p.check ?? ((bytes: Uint8Array, o: { memoryPages: number }) => checkComponent(bytes, { ...o, cacheDir: p.compileCache }))
  // Code hashes this process has checked (component and memory cap): an idempotent redeploy is cheap.
  const checked = new Set<string>()
  // One component check at a time: it costs about a replica compile, and a key holder sending
  // many at once must not take every core from the invocations.
  let queue: Promise<unknown> = Promise.resolve()
  const checkOnce = (bytes: Uint8Array, codeHash: string, memoryPages: number) => {
    const key = `${codeHash}:${memoryPages}`
    if (checked.has(key)) return Promise.resolve()
    const run = queue.then(async () => {
      if (checked.has(key)) return
      await check(bytes, { memoryPages })
      checked.add(key)
    })
    queue = run.catch(() => {})
    return run
  }

  const tooLarge = bodyLimit({
    maxSize: p.deployBytes,
    onError: () => {
      throw new PayloadTooLargeError(`Request body exceeds ${p.deployBytes} bytes.`)
    },
  })

  app.post('/functions', tooLarge, async (c) => {
    const by = authenticate(c, p.apiKeys, adminKeys)
    const artifact = parseArtifact(await readJson(c))
    // Refusals that cost nothing come before the component check.
    const existing = await p.log.getFunction(artifact.name)
    if (existing && existing.codeHash !== artifact.codeHash) assertMayRepoint(existing, by)
    const stored = await p.log.getManifest(artifact.codeHash)
    if (stored && !sameManifest(stored, artifact.manifest))
      throw new ArtifactConflictError(`Code ${artifact.codeHash} is already deployed with another manifest (limits, triggers, world or meter differ).`)
    // Stored with this manifest means checked when it was stored: a restart's redeploy of unchanged
    // code (every `nexus dev` start) does not pay a compile per function again.
    if (!stored) await checkOnce(artifact.bytes, artifact.codeHash, artifact.manifest.limits.memoryPages)
    // Already stored with this manifest: inserting the component again (≈ 2 MB of base64) would only
    // conflict, at ≈ 50–80 ms of the database's CPU per function on every `nexus dev` start.
    const newArtifact = stored ? false : await p.log.putArtifact(artifact.codeHash, artifact.manifest, artifact.base64)
    const { created, function: fn } = await p.log.deployFunction(artifact.name, artifact.codeHash, by)
    // The request's own bytes: they are what the log holds under this code hash (same manifest).
    if (newArtifact || created) p.onArtifact?.({ codeHash: artifact.codeHash, manifest: artifact.manifest, component: artifact.base64 })
    p.scheduler.ensureLane(fn.id, fn.lastSeq)
    // Which version now runs and the first seq it runs (versions are ordered by fromSeq; the last is current).
    const versions = await p.log.listVersions(fn.id)
    const current = versions[versions.length - 1]
    return c.json({ id: fn.id, codeHash: artifact.codeHash, created, version: versions.length, fromSeq: current?.fromSeq.toString() }, created ? 201 : 200)
  })
}
