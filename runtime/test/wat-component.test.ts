// A component written by hand in WAT goes through the same deploy/load/meter path as TypeScript.
import { witDir } from '@nexus/protocol/wit'
import { afterAll, expect, test } from 'vitest'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { zeroAddress } from 'viem'
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco'
import { createReplica, manifestFor, InvalidArtifactError, type Replica } from '../src/index.ts'

const open: Replica[] = []
afterAll(async () => {
  await Promise.allSettled(open.map((r) => r.close()))
})

async function watComponent(): Promise<Uint8Array> {
  const wat = await readFile(new URL('./fixtures/echo.wat', import.meta.url), 'utf8')
  const witSource = await readFile(join(witDir, 'nexus.wit'), 'utf8')
  const core = await parse(wat)
  const embedded = await componentEmbed({ binary: core, witSource, world: 'nexus:function/function' })
  return componentNew(embedded)
}

test('a hand-written WAT component deploys, runs, and is metered', async () => {
  const component = await watComponent()
  const replica = await createReplica({
    index: 1,
    cacheDir: await mkdtemp(join(tmpdir(), 'nexus-wat-')),
    chainId: 1n,
    verifier: zeroAddress,
    requireVersions: false,
  })
  open.push(replica)
  const manifest = manifestFor('wat-echo', component, { fuel: 100_000 })
  const { codeHash } = await replica.deploy({ component, manifest })
  const req = (seq: bigint, text: string) => ({ functionId: 'wat', codeHash, seq, input: new TextEncoder().encode(text), trigger: 'http', timestampMs: 0n })
  const echo = await replica.execute(req(1n, 'hello'))
  expect(echo.fields.status).toBe(0)
  expect(new TextDecoder().decode(echo.output)).toBe('hello')
  const loop = await replica.execute(req(2n, 'loop'))
  expect(loop.fields.status).toBe(2)
  expect(loop.fields.fuelUsed).toBe(100_000n)
})

test('an invalid artifact is rejected with a typed error and nothing is stored', async () => {
  const replica = await createReplica({
    index: 2,
    cacheDir: await mkdtemp(join(tmpdir(), 'nexus-wat-')),
    chainId: 1n,
    verifier: zeroAddress,
    requireVersions: false,
  })
  open.push(replica)
  const garbage = new TextEncoder().encode('not a component')
  await expect(replica.deploy({ component: garbage, manifest: manifestFor('bad', garbage) })).rejects.toThrow(InvalidArtifactError)
  const component = await watComponent()
  const lying = { ...manifestFor('wat', component), codeHash: `0x${'00'.repeat(32)}` }
  await expect(replica.deploy({ component, manifest: lying })).rejects.toThrow(InvalidArtifactError)
  expect(await replica.hasCode(manifestFor('bad', garbage).codeHash)).toBe(false)
})

test('an invocation that arrives while its code is still being deployed waits for the deploy instead of answering UNKNOWN_CODE', async () => {
  const replica = await createReplica({
    index: 3,
    cacheDir: await mkdtemp(join(tmpdir(), 'nexus-wat-')),
    chainId: 1n,
    verifier: zeroAddress,
    requireVersions: false,
  })
  open.push(replica)
  const component = await watComponent()
  const manifest = manifestFor('wat-early', component)
  // Not awaited: the gateway pushes a new artifact as it answers the deploy, and the first
  // invocation may reach the replica while that push is still being compiled and stored.
  const deployed = replica.deploy({ component, manifest })
  const early = await replica.execute({
    functionId: 'wat-early',
    codeHash: manifest.codeHash,
    seq: 1n,
    input: new TextEncoder().encode('early'),
    trigger: 'http',
    timestampMs: 0n,
  })
  expect(new TextDecoder().decode(early.output)).toBe('early')
  await deployed
  expect(await replica.hasCode(manifest.codeHash)).toBe(true)
})
