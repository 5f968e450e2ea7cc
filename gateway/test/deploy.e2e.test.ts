// Deploys end to end against a real 3-of-4 network (in-process replicas over real HTTP): nothing that replicas cannot run gets a 201
// (garbage behind a valid header, a manifest without limits or with limits out of range), a
// conflicting manifest for stored code is a 409, a function id is repointed only by the key that
// created it or an admin key, and a lane stuck on an artifact the replicas refuse does not report
// healthy replicas as down.
import { witDir } from '@nexus/protocol/wit'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco'
import { manifestFor } from '@nexus/runtime/build'
import type { Gateway } from '../src/index.ts'
import { startInProcessStack, type InProcessStack } from './inprocess-stack.ts'
import { helloArtifact } from './stack.ts'
import { send } from './http-client.ts'

const API_KEY = 'first-deployers-key'
const OTHER_KEY = 'another-deployers-key'
const ADMIN_KEY = 'the-operators-admin-key'
let stack: InProcessStack
let gateway: Gateway
let url: string

type Artifact = { manifest: Record<string, unknown>; component: string }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const sha256 = (bytes: Uint8Array | string) => `0x${createHash('sha256').update(bytes).digest('hex')}`
const post = async (artifact: unknown, key = API_KEY) => {
  const res = await send(`${url}/v1/functions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(artifact),
  })
  return { status: res.status, body: res.json() }
}
const get = async (path: string) => (await send(`${url}${path}`)).json()
const functionIds = async () => (await get('/v1/functions')).items.map((f: any) => f.id)

/** A second, different valid component: the hand-written WAT echo (runtime/test/fixtures). */
async function echoArtifact(name: string): Promise<Artifact> {
  const wat = await readFile(new URL('../../runtime/test/fixtures/echo.wat', import.meta.url), 'utf8')
  const witSource = await readFile(join(witDir, 'nexus.wit'), 'utf8')
  const component = await componentNew(await componentEmbed({ binary: await parse(wat), witSource, world: 'nexus:function/function' }))
  return { manifest: manifestFor(name, component) as unknown as Record<string, unknown>, component: Buffer.from(component).toString('base64') }
}

/** `artifact` with its component bytes replaced after the 8-byte header (code hash kept consistent). */
function garbled(artifact: Artifact, name: string): Artifact {
  const bytes = Buffer.from(artifact.component, 'base64')
  for (let i = 8; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 0xff
  return { manifest: { ...artifact.manifest, name, codeHash: sha256(bytes) }, component: bytes.toString('base64') }
}

beforeAll(async () => {
  stack = await startInProcessStack({ gateway: { apiKeys: [API_KEY, OTHER_KEY], adminKeys: [ADMIN_KEY] } })
  ;({ gateway, url } = stack)
}, 600_000)

afterAll(async () => {
  await stack?.close()
})

describe('deploys are validated before 201', () => {
  test('garbage behind a valid header, a manifest without limits, limits out of range: 400 naming the field, nothing stored', async () => {
    const hello = await helloArtifact('hello')
    const limits = hello.manifest.limits as Record<string, number>
    const cases: [Artifact, string | undefined, RegExp][] = [
      [garbled(hello, 'junk'), undefined, /component/],
      [{ ...hello, manifest: { ...hello.manifest, name: 'nolimits', limits: undefined } }, 'manifest.limits', /limits/],
      [{ ...hello, manifest: { ...hello.manifest, name: 'negfuel', limits: { ...limits, fuel: -5 } } }, 'manifest.limits.fuel', /fuel/],
      [{ ...hello, manifest: { ...hello.manifest, name: 'nomem', limits: { ...limits, memoryPages: 0 } } }, 'manifest.limits.memoryPages', /memoryPages/],
    ]
    for (const [artifact, field, message] of cases) {
      const res = await post(artifact)
      expect({ name: artifact.manifest.name, status: res.status, code: res.body.error?.code, field: res.body.error?.field }).toEqual({
        name: artifact.manifest.name,
        status: 400,
        code: 'INVALID_ARTIFACT',
        field,
      })
      expect(res.body.error.message).toMatch(message)
    }
    expect(await functionIds()).toEqual([])
    for (const [artifact] of cases) expect((await send(`${url}/v1/artifacts/${artifact.manifest.codeHash}`)).status).toBe(404)
  })

  test('the same manifest again is idempotent; another manifest for the same code is 409 and changes nothing', async () => {
    const hello = await helloArtifact('hello')
    // The answer says which version runs now and from which seq (the function's next one).
    expect(await post(hello)).toMatchObject({ status: 201, body: { created: true, version: 1, fromSeq: '1' } })
    expect(await post(hello)).toMatchObject({ status: 200, body: { created: false, version: 1, fromSeq: '1' } })
    // Same code and manifest under another function id: one artifact, two functions.
    expect((await post(await helloArtifact('hello-too'))).status).toBe(201)
    const stricter = { ...hello, manifest: { ...hello.manifest, limits: { ...(hello.manifest.limits as object), fuel: 1000 } } }
    const conflict = await post(stricter)
    expect({ status: conflict.status, code: conflict.body.error?.code }).toEqual({ status: 409, code: 'ARTIFACT_CONFLICT' })
    const stored = await get(`/v1/artifacts/${hello.manifest.codeHash}`)
    expect(stored.manifest.limits.fuel).toBe((hello.manifest.limits as any).fuel)
  })

  test('ownership: only the creating key or an admin key repoints a function; the log keeps a fingerprint, not the key', async () => {
    const echo = await echoArtifact('hello')
    const hello = await helloArtifact('hello')
    const forbidden = await post(echo, OTHER_KEY)
    expect({ status: forbidden.status, code: forbidden.body.error?.code }).toEqual({ status: 403, code: 'FORBIDDEN' })
    expect((await gateway.log.getFunction('hello'))?.codeHash).toBe(hello.manifest.codeHash)
    // Redeploying what it already runs is not a repoint: idempotent for anyone with a deploy key.
    expect((await post(hello, OTHER_KEY)).status).toBe(200)
    // The other key owns what it creates.
    expect((await post(await echoArtifact('theirs'), OTHER_KEY)).status).toBe(201)
    expect((await post(await helloArtifact('theirs'))).status).toBe(403)
    // An admin key may repoint anything; the owner stays the creator, who may repoint again.
    expect((await post(echo, ADMIN_KEY)).status).toBe(201)
    expect((await gateway.log.getFunction('hello'))?.codeHash).toBe(echo.manifest.codeHash)
    expect((await post(hello)).status).toBe(201)
    const fn = await gateway.log.getFunction('hello')
    expect(fn?.owner).toBe(createHash('sha256').update(API_KEY).digest('hex'))
    expect(JSON.stringify(fn, (_, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(API_KEY)
  })
})

test('a lane stuck on an artifact the replicas refuse does not report healthy replicas as down', async () => {
  // An artifact accepted before validation existed: stored straight into the log.
  const bad = garbled(await helloArtifact('stuck'), 'stuck')
  const codeHash = String(bad.manifest.codeHash)
  await gateway.log.putArtifact(codeHash, bad.manifest, bad.component)
  const { function: fn } = await gateway.log.deployFunction('stuck', codeHash)
  gateway.scheduler.ensureLane(fn.id, fn.lastSeq)
  const res = await send(`${url}/v1/functions/stuck/invoke?mode=async`, { method: 'POST', body: '{}' })
  expect(res.status).toBe(202)
  // Each replica refuses the push (400) at least once meanwhile: wait until the gateway has heard
  // from all four (on a loaded machine that takes longer than a fixed pause).
  let up: (string | undefined)[][] = []
  for (let waited = 0; waited < 4000 || (up.length < 4 && waited < 120_000); waited += 500) {
    await sleep(500)
    const metrics = (await send(`${url}/metrics`)).text
    up = [...metrics.matchAll(/^nexus_replica_up\{replica="(\d)"\} (\d)$/gm)].map((m) => [m[1], m[2]])
  }
  expect(up.sort()).toEqual([
    ['1', '1'],
    ['2', '1'],
    ['3', '1'],
    ['4', '1'],
  ])
})
