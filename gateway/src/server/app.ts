// The gateway's HTTP API (Hono). Every error leaves as `{ error: { code, message } }` with a
// stable code (framework/src/errors/http.ts); every check on a request runs before anything is
// written to the log.
import { createHash } from 'node:crypto'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { bytesHex, errorBoundary, FUNCTION_ID } from '@nexus/protocol'
import {
  InvalidRequestError,
  MalformedJsonError,
  MethodNotAllowedError,
  NotReadyError,
  PayloadTooLargeError,
  UnknownFunctionError,
  UnknownResultError,
  NotFoundError,
} from '../errors.ts'
import type { FunctionRecord, Log } from '../log/index.ts'
import type { Metrics } from '../metrics.ts'
import { processMemorySamples } from '@nexus/runtime'
import type { ReplicaClient } from '../replicas/index.ts'
import type { Scheduler } from '../scheduler/index.ts'
import { openapi } from './openapi.ts'
import { answerInvocation, parseTimeoutMs, prefersAsync } from './answer.ts'
import { readResult, readResults } from './results.ts'
import { functionJson, invocationJson } from './serialize.ts'
import { mountRoutes } from '../routes/index.ts'
import { mountDeploy, type StoredArtifact } from './deploy.ts'
import { createAllowedMethods } from './methods.ts'

export type CreateAppParameters = {
  log: Log
  scheduler: Scheduler
  metrics: Metrics
  replicas: ReplicaClient[]
  threshold: number
  /** Deployer API keys (`Authorization: Bearer <key>`). */
  apiKeys: string[]
  /** Admin keys: deploy keys that may also repoint a function another key created. Default: none. */
  adminKeys?: string[]
  limits?: {
    /** Max invoke body, bytes. Default: 1 MiB. */
    invokeBytes?: number
    /** Max deploy body, bytes. Default: 32 MiB. */
    deployBytes?: number
    /** Default sync wait, ms. Default: 10_000. */
    syncTimeoutMs?: number
  }
  /** Called after a new artifact is stored (push it to replicas). */
  onArtifact?: (artifact: StoredArtifact) => void
  /** The replicas' shared compile cache on this machine, if any (see mountDeploy). */
  compileCache?: string
}

const CODE_HASH = /^0x[0-9a-f]{64}$/

const tooLarge = (limit: number) =>
  bodyLimit({
    maxSize: limit,
    onError: () => {
      throw new PayloadTooLargeError(`Request body exceeds ${limit} bytes.`)
    },
  })

/** Largest seq a cursor can name (int8 in the log). */
const MAX_CURSOR = (1n << 63n) - 1n

export function createApp(p: CreateAppParameters): Hono {
  const { log, scheduler, metrics } = p
  const invokeBytes = p.limits?.invokeBytes ?? 1 << 20
  const deployBytes = p.limits?.deployBytes ?? 32 << 20
  const syncTimeoutMs = p.limits?.syncTimeoutMs ?? 10_000
  const app = new Hono()

  const allowed = createAllowedMethods(app)
  // Every route's errors, @onHttp routes' included (mounted on this app), leave through here.
  app.onError(errorBoundary())
  // An answer sent before the request body was read (401 before a deploy's body, 413 on
  // Content-Length) must not leave that connection for reuse: the rest of the body is still on its
  // way, and a client that sends its next request on the socket sees "other side closed" when the
  // server gives up draining it. `Connection: close` ends it cleanly after this answer.
  app.use(async (c, next) => {
    await next()
    const request = c.req.raw
    if (request.body === null || (request.bodyUsed && c.res.status !== 413)) return
    try {
      c.res.headers.set('connection', 'close')
    } catch {
      // A response with immutable headers (e.g. passed through from fetch): copy it.
      const copy = new Response(c.res.body, c.res)
      copy.headers.set('connection', 'close')
      c.res = copy
    }
  })
  app.notFound((c) => {
    const allow = allowed(c.req.path)
    if (allow.length > 0) throw new MethodNotAllowedError(`${c.req.method} is not allowed on ${c.req.path}; allowed: ${allow.join(', ')}.`, allow)
    throw new NotFoundError('No such route.')
  })

  app.get('/health', (c) => c.json({ ok: true }))
  app.get('/ready', async (c) => {
    await log.listFunctions() // database reachable
    const up = await Promise.all(p.replicas.map((r) => r.health()))
    const healthy = up.filter(Boolean).length
    if (healthy < p.threshold) throw new NotReadyError(`${healthy} of ${p.replicas.length} replicas healthy; threshold is ${p.threshold}.`)
    // diverged: replicas that applied a seq differently from the log, per function (scheduler/divergence.ts).
    return c.json({ ok: true, replicas: p.replicas.map((r, i) => ({ index: r.index, url: r.url, healthy: up[i] })), diverged: scheduler.diverged() })
  })
  app.get('/metrics', (c) => {
    // The process's memory (RSS, heap), as the replicas report theirs: what a stack's budget is checked against.
    for (const s of processMemorySamples()) metrics.set(s.name, s.help, {}, s.value)
    return c.text(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4' })
  })
  app.get('/openapi.json', (c) => c.json(openapi))

  const v1 = new Hono()

  mountDeploy(v1, { log, scheduler, apiKeys: p.apiKeys, adminKeys: p.adminKeys, deployBytes, onArtifact: p.onArtifact, compileCache: p.compileCache })

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
    const mode = c.req.query('mode') ?? (prefersAsync(c.req.header('prefer')) ? 'async' : 'sync')
    if (mode !== 'sync' && mode !== 'async') throw new InvalidRequestError('mode must be "sync" or "async".')
    const timeoutMs = parseTimeoutMs(c.req.query('timeoutMs'), syncTimeoutMs)

    const requestHash = createHash('sha256').update(body).digest('hex')
    const appended = await log.append({ functionId, input: bytesHex(body), trigger: 'http', idempotencyKey: key, requestHash })
    return answerInvocation(c, scheduler, appended, { mode, timeoutMs })
  })

  v1.get('/functions/:id/results', async (c) => {
    const fn = await loadFunction(c.req.param('id'))
    const cursor = c.req.query('cursor') ?? '0'
    if (!/^(0|[1-9][0-9]{0,18})$/.test(cursor) || BigInt(cursor) > MAX_CURSOR)
      throw new InvalidRequestError('cursor: expected the nextCursor of a previous page.')
    const limit = Number(c.req.query('limit') ?? 100)
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new InvalidRequestError('limit must be an integer in 1..500.')
    const rows = await readResults(log, scheduler, fn.id, BigInt(cursor), limit)
    const nextCursor = rows.length === limit ? rows.at(-1)!.seq.toString() : null
    return c.json({ items: rows.map(invocationJson), nextCursor })
  })

  v1.get('/results/:id', async (c) => {
    const inv = await readResult(log, scheduler, c.req.param('id'))
    if (!inv) throw new UnknownResultError(`Unknown result "${c.req.param('id')}".`)
    return c.json(invocationJson(inv))
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
