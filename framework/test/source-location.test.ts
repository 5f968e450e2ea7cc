// Run-time errors inside a handler name its source file and line (issue 17), the project-relative
// way on every replica: a project built for real (bundle with its source table → componentize) and
// run in a real replica (PGlite). The same message is the error result and an `error` log line.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { zeroAddress, type Hex } from 'viem'
import { createReplica, type Replica } from '@nexus/runtime'
import { buildProject, type BuiltProject } from '../src/build/index.ts'
import { encodeTriggerPayload, Status } from '@nexus/protocol'

const config = fileURLToPath(new URL('./fixtures/located/nexus.config.ts', import.meta.url))
const dec = new TextDecoder()
let project: BuiltProject
let replica: Replica
let seq = 0n

beforeAll(async () => {
  const out = await mkdtemp(join(tmpdir(), 'nexus-located-build-'))
  project = await buildProject(config, { out })
  replica = await createReplica({ index: 1, cacheDir: join(out, 'cache'), chainId: 31337n, verifier: zeroAddress, requireVersions: false })
  for (const fn of project.functions) await replica.deploy({ component: fn.component!, manifest: fn.manifest! })
}, 300_000)

afterAll(async () => {
  await replica?.close()
})

async function cron(functionId: string, schedule: string) {
  const fn = project.functions.find((f) => f.id === functionId)!
  seq++
  const r = await replica.execute({
    functionId,
    codeHash: fn.manifest!.codeHash as Hex,
    seq: 1n,
    input: encodeTriggerPayload({ kind: 'cron', schedule, scheduledAtMs: '1700000100000' }),
    trigger: 'cron',
    timestampMs: 1_700_000_000_000n + seq,
    chainId: 31337n,
  })
  return { status: r.fields.status, output: dec.decode(r.output), logs: r.logs }
}

test('a thrown Error names the handler file, line and column; the message is logged too', async () => {
  const r = await cron('located-boom', '0 * * * *')
  expect(r.status).toBe(Status.handlerError)
  expect(r.output).toMatch(/^Error: boom \(handlers\/boom\.ts:9:\d+\)$/)
  expect(r.logs).toEqual([
    { level: 'info', message: 'about to throw' },
    { level: 'error', message: r.output },
  ])
})

test('an error thrown in another project file names that file; one after an await names its line', async () => {
  expect((await cron('located-helper', '1 * * * *')).output).toMatch(/^RangeError: no word in "" \(lib\/words\.ts:5:\d+\)$/)
  expect((await cron('located-after-await', '2 * * * *')).output).toMatch(/^TypeError: n is 0 \(handlers\/boom\.ts:17:\d+\)$/)
})

test('calling a misspelt method (an unchecked build) is a TypeError at its line', async () => {
  expect((await cron('located-misspelt', '3 * * * *')).output).toMatch(/^TypeError: .* \(handlers\/boom\.ts:24:\d+\)$/)
})

test('the bundle holds project-relative names only, never a host path', async () => {
  const bundle = await readFile(join(project.functions[0]!.dir!, 'bundle.js'), 'utf8')
  const table = bundle.slice(bundle.lastIndexOf('globalThis.__nexusSourceTable'))
  const files = (JSON.parse(table.slice(table.indexOf('{'), table.lastIndexOf('}') + 1)) as { files: string[] }).files
  expect(files.sort()).toEqual(['handlers/boom.ts', 'lib/words.ts'])
  expect(bundle).not.toContain(tmpdir())
  expect(bundle).not.toContain(fileURLToPath(new URL('.', import.meta.url)))
  expect(bundle).not.toContain('sourceMappingURL')
})
