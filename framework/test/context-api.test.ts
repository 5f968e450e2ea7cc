// The context API users reach for (issue 17), built for real (bundle → componentize) and run on two
// real replicas (PGlite): Fetch-like ctx.request (headers, json, query), KV strings/bytes and list
// paging, `/`-rooted files with escapes refused, env.random — and both replicas answer the same.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bytesToHex, zeroAddress, type Hex } from 'viem'
import { createReplica, type Replica } from '@nexus/runtime'
import { buildProject, type BuiltProject } from '../src/build/index.ts'
import { encodeTriggerPayload, Status, type RoutePayload } from '@nexus/protocol'

const config = fileURLToPath(new URL('./fixtures/ctxapi/nexus.config.ts', import.meta.url))
const enc = new TextEncoder()
const dec = new TextDecoder()
let project: BuiltProject
const replicas: Replica[] = []

beforeAll(async () => {
  const out = await mkdtemp(join(tmpdir(), 'nexus-ctxapi-build-'))
  project = await buildProject(config, { out })
  for (const index of [1, 2]) {
    const replica = await createReplica({ index, cacheDir: join(out, `cache-${index}`), chainId: 31337n, verifier: zeroAddress, requireVersions: false })
    replicas.push(replica)
    for (const fn of project.functions) await replica.deploy({ component: fn.component!, manifest: fn.manifest! })
  }
}, 120_000)

afterAll(async () => {
  await Promise.allSettled(replicas.map((r) => r.close()))
})

async function route(replica: Replica, seq: bigint, payload: Omit<RoutePayload, 'kind'>) {
  const fn = project.functions.find((f) => f.id === 'ctxapi-api')!
  const r = await replica.execute({
    functionId: fn.id,
    codeHash: fn.manifest!.codeHash as Hex,
    seq,
    input: encodeTriggerPayload({ kind: 'route', ...payload }),
    trigger: 'route',
    timestampMs: 1_700_000_000_000n,
    chainId: 31337n,
  })
  return { status: r.fields.status, output: dec.decode(r.output), digest: r.digest }
}

const request: Omit<RoutePayload, 'kind'> = {
  method: 'POST',
  path: '/items/report',
  query: [
    ['q', 'a b'],
    ['tag', 'x'],
    ['tag', 'y'],
  ],
  // As the gateway would get them: any case, with credentials that must never reach the handler.
  headers: [
    ['X-Custom', 'hello'],
    ['Content-Type', 'application/json'],
    ['Authorization', 'Bearer deployer-key'],
    ['Cookie', 'session=1'],
  ],
  body: bytesToHex(enc.encode(JSON.stringify({ values: ['alpha', 'beta', 'gamma', 'delta'] }))),
}

test('one handler, two replicas: the same answer, and every part of the context does what users expect', async () => {
  expect(project.functions.map((f) => f.id)).toEqual(['ctxapi-api', 'ctxapi-mutate'])
  const [a, b] = [await route(replicas[0]!, 1n, request), await route(replicas[1]!, 1n, request)]
  expect(a.status, a.output).toBe(Status.ok)
  expect(b).toEqual(a)
  const out = JSON.parse(a.output)
  expect(out).toMatchObject({
    method: 'POST',
    path: '/items/report',
    url: '/items/report?q=a+b&tag=x&tag=y',
    contentType: 'application/json',
    custom: 'hello',
    hasAuthorization: false,
    headerNames: ['content-type', 'x-custom'],
    q: 'a b',
    tags: ['x', 'y'],
    // Returned as is, the query still serializes as the pairs it used to be.
    query: [
      ['q', 'a b'],
      ['tag', 'x'],
      ['tag', 'y'],
    ],
    kvString: 'alpha',
    kvBytes: [1, 2, 3],
    pages: [{ keys: ['item/00', 'item/01'], cursor: 'item/01' }, { keys: ['item/02', 'item/03'], cursor: 'item/03' }, { keys: ['item/bytes'] }],
    allCursor: null,
    allEntries: 5,
    lastRelative: 'report',
    lastRooted: 'report',
    root: ['dir', 'last.txt'],
    dirLog: 'ab',
    missing: false,
    escape: { isFsError: true, kind: 'invalid-path' },
    date: '2023-11-14T22:13:20.000Z',
    now: '1700000000000',
    bigints: ['bigint', 'bigint', 'bigint', 'bigint'],
  })
  expect(out.escape.message).toMatch(/^fs\.readText\("\/\.\.\/outside\.txt"\): invalid-path: .*rooted at the function's own "\/"/)
  expect(out.random).toHaveLength(8)
  // Seeded by the invocation: equal on both replicas (checked above) and a fresh draw per call.
  expect(out.randomBytes).not.toEqual(out.random)
}, 120_000)

test('a payload written before headers existed still runs; a body that is not JSON is a handler error saying so', async () => {
  const { headers: _, ...old } = request
  const a = await route(replicas[0]!, 2n, old)
  expect(a.status, a.output).toBe(Status.ok)
  expect(JSON.parse(a.output)).toMatchObject({ headerNames: [], contentType: null, custom: null })
  const bad = await route(replicas[0]!, 3n, { ...request, body: bytesToHex(enc.encode('not json')) })
  expect(bad.status).toBe(Status.handlerError)
  expect(bad.output).toContain('ctx.request.json(): the request body is not JSON')
}, 120_000)

test("a handler's changes to the context's shared parts do not reach the next invocation", async () => {
  const fn = project.functions.find((f) => f.id === 'ctxapi-mutate')!
  const run = async (seq: bigint) => {
    const r = await replicas[0]!.execute({
      functionId: fn.id,
      codeHash: fn.manifest!.codeHash as Hex,
      seq,
      input: encodeTriggerPayload({ kind: 'route', method: 'POST', path: '/mutate', query: [], body: '0x' }),
      trigger: 'route',
      timestampMs: 1_700_000_000_000n,
      chainId: 31337n,
    })
    expect(r.fields.status, dec.decode(r.output)).toBe(Status.ok)
    return JSON.parse(dec.decode(r.output)) as unknown
  }
  expect(await run(1n)).toEqual({ left: null, getString: null, logInfo: 'function' })
  // The first invocation replaced kv.getString and log.info and set a property on ctx.kv: the second
  // sees none of it, only the state it committed.
  expect(await run(2n)).toEqual({ left: null, getString: 'stored', logInfo: 'function' })
}, 120_000)
