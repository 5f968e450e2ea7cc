// Only the gateway makes a replica sign (issue 15, item 1). A replica server on a real socket, with
// real BLS shares: the forged execute (no key) is 401 and changes nothing, as are a wrong
// key, a replayed signature over another body, and an unauthenticated artifact upload; with the
// key, an execute is still refused when its code hash is not the version bound to that function at
// that seq, or when its trigger kind is not in the manifest. Versions never rewrite applied seqs;
// a reset (the divergence repair) forgets the function.
import type { AddressInfo } from 'node:net'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { witDir } from '@nexus/protocol/wit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toHex, type Hex } from 'viem'
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco'
import { createReplicaServer, manifestFor, type Replica } from '../src/index.ts'
import { signRequest } from '../src/replica/gateway-auth.ts'
import { mixedFixture } from './fixtures/build-fixture.ts'
import { availableBackends } from '@nexus/testkit/backends'
import { replicaSuite } from './fixtures/replica-suite.ts'

async function watEchoComponent(): Promise<Uint8Array> {
  const wat = await readFile(new URL('./fixtures/echo.wat', import.meta.url), 'utf8')
  const witSource = await readFile(join(witDir, 'nexus.wit'), 'utf8')
  return componentNew(await componentEmbed({ binary: await parse(wat), witSource, world: 'nexus:function/function' }))
}

describe('replica API: only its gateway makes it sign', () => {
  const suite = replicaSuite(availableBackends()[0]!.make)
  let replica: Replica
  let victimCode: Hex
  let otherCode: Hex
  let url: string
  let close: () => Promise<void>

  beforeAll(async () => {
    replica = await suite.replica(1, { requireVersions: true })
    victimCode = (await replica.deploy(await mixedFixture())).codeHash
    const echo = await watEchoComponent()
    // The other function's code declares an event trigger; the victim's declares none.
    const manifest = {
      ...manifestFor('other', echo, { fuel: 100_000 }),
      triggers: [
        {
          kind: 'event',
          chain: 'devnet',
          chainId: 31337,
          contract: 'c',
          address: `0x${'11'.repeat(20)}`,
          event: 'E',
          abi: { type: 'event', name: 'E', inputs: [] },
          topic0: `0x${'22'.repeat(32)}`,
        },
      ],
    }
    otherCode = (await replica.deploy({ component: echo, manifest: manifest as never })).codeHash
    await replica.bindVersions('victim', [{ fromSeq: 1n, codeHash: victimCode }])
    await replica.bindVersions('other', [{ fromSeq: 1n, codeHash: otherCode }])
    const server = createReplicaServer(replica, { gatewayKey: suite.gatewayKey })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    close = () => new Promise((resolve) => server.close(() => resolve()))
  })
  afterAll(() => close?.())

  const forged = (over: Record<string, string> = {}) =>
    JSON.stringify({
      functionId: 'victim',
      codeHash: victimCode,
      seq: '1',
      input: toHex(new TextEncoder().encode('FORGED')),
      trigger: 'http',
      timestampMs: '0',
      ...over,
    })
  const unsigned = (path: string, body: string) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  const signed = (path: string, body: string) => fetch(`${url}${path}`, suite.signed('POST', path, body))
  const nothingApplied = async () => {
    expect(await replica.state('victim')).toEqual({ lastAppliedSeq: 0n, stateRoot: toHex(new Uint8Array(32)) })
  }

  it("answers the issue's forged execute (no key) with 401 and applies nothing; the same body signed would be executed and signed", async () => {
    for (const path of ['/v1/execute', '/v1/execute-batch']) {
      const body = path === '/v1/execute' ? forged() : `{"requests":[${forged()}]}`
      const res = await unsigned(path, body)
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: 'This replica only serves its gateway: the request is not authenticated.' } })
    }
    // A key that is not this replica's, and a signature taken from another body (replay): refused too.
    const wrongKey = await fetch(`${url}/v1/execute`, {
      method: 'POST',
      headers: signRequest(new TextEncoder().encode('not-the-gateway-key-at-all'), 'POST', '/v1/execute', new TextEncoder().encode(forged())),
      body: forged(),
    })
    expect(wrongKey.status).toBe(401)
    const honest = suite.signed('POST', '/v1/execute', forged({ input: '0x' }))
    const replayed = await fetch(`${url}/v1/execute`, { ...honest, body: forged() })
    expect(replayed.status).toBe(401)
    const stale = await fetch(`${url}/v1/execute`, {
      method: 'POST',
      headers: signRequest(suite.gatewayKey, 'POST', '/v1/execute', new TextEncoder().encode(forged()), Date.now() - 10 * 60_000),
      body: forged(),
    })
    expect(stale.status).toBe(401)
    await nothingApplied()
    // What stood between the forger and a share was the key: the gateway's own request is signed.
    const real = await signed('/v1/execute', forged({ input: toHex(new TextEncoder().encode('{"op":"incr","key":"k"}')) }))
    expect(real.status).toBe(200)
    expect((await real.json()).share.index).toBe(1)
  })

  it('refuses an unauthenticated artifact upload, version push, reset or state read', async () => {
    const component = await watEchoComponent()
    const upload = await unsigned(
      '/v1/artifacts',
      JSON.stringify({ manifest: manifestFor('evil', new Uint8Array([1, 2, 3])), component: Buffer.from(component).toString('base64') }),
    )
    expect(upload.status).toBe(401)
    expect((await upload.json()).error.code).toBe('UNAUTHORIZED')
    expect(await replica.hasCode(manifestFor('evil', new Uint8Array([1, 2, 3])).codeHash)).toBe(false)
    const versions = await fetch(`${url}/v1/functions/victim/versions`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ versions: [{ fromSeq: '1', codeHash: otherCode }] }),
    })
    expect(versions.status).toBe(401)
    expect((await unsigned('/v1/functions/victim/reset', '{}')).status).toBe(401)
    expect((await fetch(`${url}/v1/functions/victim/state`)).status).toBe(401)
    expect(await replica.versions('victim')).toEqual([{ fromSeq: 1n, codeHash: victimCode }])
    expect((await replica.state('victim')).lastAppliedSeq).toBe(1n)
    expect((await fetch(`${url}/health`)).status).toBe(200)
  })

  it("refuses, with the key, another function's code on the victim's state, and applies nothing", async () => {
    const res = await signed('/v1/execute', forged({ seq: '2', codeHash: otherCode }))
    expect(res.status).toBe(409)
    expect((await res.json()).error).toEqual({ code: 'CODE_NOT_BOUND', message: `Seq 2 of victim runs ${victimCode}, not ${otherCode}.` })
    const unbound = await signed('/v1/execute', forged({ functionId: 'never-deployed', codeHash: victimCode }))
    expect(unbound.status).toBe(409)
    expect((await unbound.json()).error.code).toBe('CODE_NOT_BOUND')
    expect((await replica.state('victim')).lastAppliedSeq).toBe(1n)
    expect((await replica.state('never-deployed')).lastAppliedSeq).toBe(0n)
  })

  it('refuses a trigger kind the manifest does not declare, and runs one it does', async () => {
    for (const trigger of ['event', 'cron', 'made-up']) {
      const res = await signed('/v1/execute', forged({ seq: '2', trigger, input: toHex(new TextEncoder().encode('{"op":"incr","key":"k"}')) }))
      expect(res.status).toBe(422)
      expect((await res.json()).error.code).toBe('TRIGGER_NOT_DECLARED')
    }
    expect((await replica.state('victim')).lastAppliedSeq).toBe(1n)
    const declared = await signed(
      '/v1/execute',
      forged({ functionId: 'other', codeHash: otherCode, trigger: 'event', input: toHex(new TextEncoder().encode('hi')) }),
    )
    expect(declared.status).toBe(200)
  })

  it('never lets a version change the code of an applied seq; a reset forgets the function', async () => {
    const path = '/v1/functions/victim/versions'
    const rewrite = await fetch(`${url}${path}`, suite.signed('PUT', path, JSON.stringify({ versions: [{ fromSeq: '1', codeHash: otherCode }] })))
    expect(rewrite.status).toBe(409)
    expect((await rewrite.json()).error.code).toBe('VERSION_CONFLICT')
    // A new version from the next seq on is fine: seq 2 then runs the other code.
    const next = await fetch(`${url}${path}`, suite.signed('PUT', path, JSON.stringify({ versions: [{ fromSeq: '2', codeHash: otherCode }] })))
    expect(await next.json()).toEqual({
      versions: [
        { fromSeq: '1', codeHash: victimCode },
        { fromSeq: '2', codeHash: otherCode },
      ],
    })
    expect((await signed('/v1/execute', forged({ seq: '2' }))).status).toBe(409)
    const reset = await signed('/v1/functions/victim/reset', '{}')
    expect(reset.status).toBe(200)
    await nothingApplied()
    expect(await replica.versions('victim')).toEqual([])
  })
})
