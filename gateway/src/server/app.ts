// The gateway's HTTP API (Hono). Every error leaves as `{ error: { code, message } }` with a
// stable code; every check on a request runs before anything is written to the log.
import { createHash, timingSafeEqual } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import { bytesToHex } from 'viem'
import { NexusError } from '../../../framework/src/errors/base.ts'
import {
  GatewayError,
  InvalidArtifactError,
  InvalidRequestError,
  MalformedJsonError,
  NotReadyError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnknownFunctionError,
  UnknownResultError,
  NotFoundError,
} from '../errors.ts'
import type { FunctionRecord, Log } from '../log/index.ts'
import type { Metrics } from '../metrics.ts'
import type { ReplicaClient } from '../replicas/index.ts'
import type { Scheduler } from '../scheduler/index.ts'
import { openapi } from './openapi.ts'
import { answerInvocation } from './answer.ts'
import { functionJson, invocationJson } from './serialize.ts'
import { mountRoutes } from '../routes/index.ts'

export type CreateAppParameters = {
  log: Log
  scheduler: Scheduler
  metrics: Metrics
  replicas: ReplicaClient[]
  threshold: number
  /** Deployer API keys (`Authorization: Bearer <key>`). */
  apiKeys: string[]
  limits?: {
    /** Max invoke body, bytes. Default: 1 MiB. */
    invokeBytes?: number
    /** Max deploy body, bytes. Default: 32 MiB. */
    deployBytes?: number
    /** Default sync wait, ms. Default: 10_000. */
    syncTimeoutMs?: number
  }
  /** Called after a new artifact is stored (push it to replicas). */
  onArtifact?: (codeHash: string) => void
}

const FUNCTION_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/
const CODE_HASH = /^0x[0-9a-f]{64}$/

const tooLarge = (limit: number) =>
  bodyLimit({
    maxSize: limit,
    onError: () => {
      throw new PayloadTooLargeError(`Request body exceeds ${limit} bytes.`)
    },
  })

async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text()
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new MalformedJsonError('Request body is not valid JSON.', { cause: err })
  }
}

function checkKey(c: Context, keys: string[]) {
  const header = c.req.header('authorization') ?? ''
  const match = /^Bearer\s+(\S+)$/i.exec(header)
  if (!match) throw new UnauthorizedError('Missing deployer API key (Authorization: Bearer <key>).')
  const given = Buffer.from(match[1]!)
  const ok = keys.some((k) => {
    const want = Buffer.from(k)
    return want.length === given.length && timingSafeEqual(want, given)
  })
  if (!ok) throw new UnauthorizedError('Invalid deployer API key.')
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Validate a deploy body: manifest shape, base64 component, wasm component header, code hash. */
function parseArtifact(body: unknown): { manifest: Record<string, unknown>; component: Uint8Array; base64: string; codeHash: string; name: string } {
  if (!isObject(body)) throw new InvalidRequestError('Expected a JSON object { manifest, component }.')
  const { manifest, component } = body
  if (!isObject(manifest)) throw new InvalidArtifactError('manifest: expected an object.')
  if (typeof manifest.name !== 'string' || !FUNCTION_ID.test(manifest.name))
    throw new InvalidArtifactError('manifest.name: expected 1-63 characters of [a-z0-9_-], starting with a letter or digit.')
  if (typeof manifest.codeHash !== 'string' || !CODE_HASH.test(manifest.codeHash.toLowerCase()))
    throw new InvalidArtifactError('manifest.codeHash: expected 0x-prefixed sha256 hex.')
  if (typeof component !== 'string' || component.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(component))
    throw new InvalidArtifactError('component: expected base64 of the component bytes.')
  const bytes = new Uint8Array(Buffer.from(component, 'base64'))
  // Component model binaries: "\0asm" then version 0x0d 0x00 and layer 0x01 0x00.
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d || bytes[6] !== 1 || bytes[7] !== 0)
    throw new InvalidArtifactError('component: not a WebAssembly component (bad header).')
  const codeHash = `0x${createHash('sha256').update(bytes).digest('hex')}`
  if (codeHash !== manifest.codeHash.toLowerCase())
    throw new InvalidArtifactError(`manifest.codeHash ${manifest.codeHash} does not match the component (sha256 ${codeHash}).`)
  return { manifest: { ...manifest, codeHash }, component: bytes, base64: component, codeHash, name: manifest.name }
}

export function createApp(p: CreateAppParameters): Hono {
  const { log, scheduler, metrics } = p
  const invokeBytes = p.limits?.invokeBytes ?? 1 << 20
  const deployBytes = p.limits?.deployBytes ?? 32 << 20
  const syncTimeoutMs = p.limits?.syncTimeoutMs ?? 10_000
  const app = new Hono()

  app.onError((err, c) => {
    if (err instanceof GatewayError) return c.json({ error: { code: err.code, message: err.shortMessage } }, err.status as 400)
    if (err instanceof HTTPException) return c.json({ error: { code: err.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'HTTP_ERROR', message: err.message } }, err.status)
    if (err instanceof NexusError) return c.json({ error: { code: err.code, message: err.shortMessage } }, 400)
    console.error(err)
    return c.json({ error: { code: 'INTERNAL', message: 'Internal error.' } }, 500)
  })
  app.notFound(() => {
    throw new NotFoundError('No such route.')
  })

  app.get('/health', (c) => c.json({ ok: true }))
  app.get('/ready', async (c) => {
    await log.listFunctions() // database reachable
    const up = await Promise.all(p.replicas.map((r) => r.health()))
    const healthy = up.filter(Boolean).length
    if (healthy < p.threshold) throw new NotReadyError(`${healthy} of ${p.replicas.length} replicas healthy; threshold is ${p.threshold}.`)
    return c.json({ ok: true, replicas: p.replicas.map((r, i) => ({ index: r.index, url: r.url, healthy: up[i] })) })
  })
  app.get('/metrics', (c) => c.text(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4' }))
  app.get('/openapi.json', (c) => c.json(openapi))

  const v1 = new Hono()

  v1.post('/functions', tooLarge(deployBytes), async (c) => {
    checkKey(c, p.apiKeys)
    const artifact = parseArtifact(await readJson(c))
    const newArtifact = await log.putArtifact(artifact.codeHash, artifact.manifest, artifact.base64)
    const { created, function: fn } = await log.deployFunction(artifact.name, artifact.codeHash)
    if (newArtifact || created) p.onArtifact?.(artifact.codeHash)
    scheduler.ensureLane(fn.id, fn.lastSeq)
    return c.json({ id: fn.id, codeHash: artifact.codeHash, created }, created ? 201 : 200)
  })

  const describeFunction = async (fn: FunctionRecord) => functionJson(fn, await log.getManifest(fn.codeHash))
  v1.get('/functions', async (c) => c.json({ items: await Promise.all((await log.listFunctions()).map(describeFunction)) }))

  const loadFunction = async (id: string) => {
    const fn = FUNCTION_ID.test(id) ? await log.getFunction(id) : undefined
    if (!fn) throw new UnknownFunctionError(`Unknown function "${id}".`)
    return fn
  }
  const versionsJson = async (id: string) =>
    (await log.listVersions(id)).map((v) => ({ codeHash: v.codeHash, fromSeq: v.fromSeq.toString(), createdAt: v.createdAt.toISOString() }))

  v1.get('/functions/:id', async (c) => {
    const fn = await loadFunction(c.req.param('id'))
    return c.json({ ...(await describeFunction(fn)), versions: await versionsJson(fn.id) })
  })
  v1.get('/functions/:id/versions', async (c) => {
    const fn = await loadFunction(c.req.param('id'))
    return c.json({ items: await versionsJson(fn.id) })
  })

  v1.post('/functions/:id/invoke', tooLarge(invokeBytes), async (c) => {
    // No lookup first: append's seq update is the existence check (UnknownFunctionError, nothing written).
    const functionId = c.req.param('id')
    if (!FUNCTION_ID.test(functionId)) throw new UnknownFunctionError(`Unknown function "${functionId}".`)
    const body = new Uint8Array(await c.req.arrayBuffer())
    if (body.length > invokeBytes) throw new PayloadTooLargeError(`Request body exceeds ${invokeBytes} bytes.`)
    if ((c.req.header('content-type') ?? '').includes('json')) {
      try {
        JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
      } catch (err) {
        throw new MalformedJsonError('Request body is not valid JSON (Content-Type says it is).', { cause: err })
      }
    }
    const key = c.req.header('idempotency-key')
    if (key !== undefined && (key.length === 0 || key.length > 200)) throw new InvalidRequestError('Idempotency-Key must be 1-200 characters.')
    const mode = c.req.query('mode') ?? (/respond-async/.test(c.req.header('prefer') ?? '') ? 'async' : 'sync')
    if (mode !== 'sync' && mode !== 'async') throw new InvalidRequestError('mode must be "sync" or "async".')
    const timeoutQuery = c.req.query('timeoutMs')
    const timeoutMs = timeoutQuery === undefined ? syncTimeoutMs : Number(timeoutQuery)
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 60_000) throw new InvalidRequestError('timeoutMs must be an integer in 0..60000.')

    const requestHash = createHash('sha256').update(body).digest('hex')
    const appended = await log.append({ functionId, input: bytesToHex(body), trigger: 'http', idempotencyKey: key, requestHash })
    return answerInvocation(c, scheduler, appended, { mode, timeoutMs })
  })

  v1.get('/functions/:id/results', async (c) => {
    const fn = await loadFunction(c.req.param('id'))
    const cursor = c.req.query('cursor') ?? '0'
    if (!/^(0|[1-9][0-9]{0,18})$/.test(cursor)) throw new InvalidRequestError('cursor: expected the nextCursor of a previous page.')
    const limit = Number(c.req.query('limit') ?? 100)
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new InvalidRequestError('limit must be an integer in 1..500.')
    const rows = await log.range(fn.id, BigInt(cursor), limit)
    const nextCursor = rows.length === limit ? rows.at(-1)!.seq.toString() : null
    return c.json({ items: rows.map((row) => invocationJson(scheduler.current(row))), nextCursor })
  })

  v1.get('/results/:id', async (c) => {
    const inv = await log.getInvocation(c.req.param('id'))
    if (!inv) throw new UnknownResultError(`Unknown result "${c.req.param('id')}".`)
    return c.json(invocationJson(scheduler.current(inv)))
  })

  v1.get('/artifacts/:codeHash', async (c) => {
    const hash = c.req.param('codeHash').toLowerCase()
    const artifact = CODE_HASH.test(hash) ? await log.getArtifact(hash) : undefined
    if (!artifact) throw new NotFoundError(`No artifact ${hash}.`)
    return c.json({ manifest: artifact.manifest, component: artifact.component })
  })

  // @onHttp routes: /v1/functions/:id/http/<path> (gateway/src/routes).
  mountRoutes(v1, { log, scheduler, maxBodyBytes: invokeBytes, syncTimeoutMs })
  app.route('/v1', v1)
  return app
}
