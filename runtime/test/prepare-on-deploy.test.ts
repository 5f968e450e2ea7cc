// A deploy prepares the component in the sandbox (replica.ts `deploy`, sandbox.ts `prepare`): its
// module is loaded and its first instance made before any invocation, so the first call resets an
// instance instead of waiting for the worker, the module compile and the instantiation.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { zeroAddress } from 'viem'
import { namedComponent } from './fixtures/named-component.ts'
import { createReplica, manifestFor, type Replica } from '../src/index.ts'

let replica: Replica

async function until(what: string, ok: () => boolean, ms = 20_000) {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

beforeAll(async () => {
  replica = await createReplica({ index: 1, cacheDir: await mkdtemp(join(tmpdir(), 'nexus-prepare-')), chainId: 1n, verifier: zeroAddress })
})

afterAll(async () => {
  await replica?.close()
})

test('a deployed component is in the sandbox, with its instance, before its first invocation; that invocation answers from it', async () => {
  expect(replica.sandboxCache().entries).toBe(0)
  const component = await namedComponent('prepared')
  const { codeHash } = await replica.deploy({ component, manifest: manifestFor('prepared', component, { memoryPages: 4 }) })
  // Loaded and instantiated with no invocation sent: the entry accounts its modules and its idle
  // instance (memories + pristine snapshot), as after a run.
  await until('the prepared entry', () => replica.sandboxCache().entries === 1 && replica.sandboxCache().bytes > 0)
  const prepared = replica.sandboxCache()
  await replica.bindVersions('prepared', [{ fromSeq: 1n, codeHash }])
  const result = await replica.execute({ functionId: 'prepared', codeHash, seq: 1n, input: new TextEncoder().encode('hi'), trigger: 'http', timestampMs: 0n })
  expect(result.fields.status).toBe(0)
  expect(new TextDecoder().decode(result.output)).toBe('prepared')
  // The run reset the prepared instance: nothing more is held than before it.
  expect(replica.sandboxCache()).toMatchObject({ entries: 1, bytes: prepared.bytes })
})
