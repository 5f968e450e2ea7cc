// An unchanged project skips the type check and the collect step on the next build (build-cache.ts),
// and any change to a file either read (a handler, the config, a module imported only for its
// types) makes the next build do both again: a type error introduced there is still reported. Its
// bundles are reused too, only while they are what bundling gives (bundle-reuse.ts).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { buildProject, TypeCheckError, type BuildProgress } from '../src/build/index.ts'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
let root: string
let config: string

const handler = (greeting: string) =>
  [
    "import { onHttp, type RequestContext } from '@nexus/framework/decorators'",
    "import type { Greeting } from '../types.ts'",
    'export class Hello {',
    "  @onHttp({ method: 'POST', path: '/hello' })",
    '  hello(_ctx: RequestContext) {',
    `    const g: Greeting = { text: '${greeting}' }`,
    '    return g',
    '  }',
    '}',
    '',
  ].join('\n')

beforeAll(async () => {
  await mkdir(join(repoRoot, '.nexus'), { recursive: true })
  // Inside the repository, so `@nexus/framework` resolves to the workspace package.
  root = await mkdtemp(join(repoRoot, '.nexus', 'tmp-build-cache-'))
  await mkdir(join(root, 'handlers'))
  config = join(root, 'nexus.config.ts')
  await writeFile(config, `export default { name: 'bc' }\n`)
  await writeFile(join(root, 'types.ts'), 'export type Greeting = { text: string }\n')
  await writeFile(join(root, 'handlers', 'hello.ts'), handler('hi'))
}, 60_000)
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

test('a second build of unchanged files reuses the check and the collect step, and gives the same function', async () => {
  const out = join(root, 'out')
  const first = await buildProject(config, { out })
  expect(first.reused).toBe(false)
  const second = await buildProject(config, { out })
  expect(second.reused).toBe(true)
  expect(second.functions.map((f) => [f.id, f.manifest?.codeHash, f.triggers])).toEqual(first.functions.map((f) => [f.id, f.manifest?.codeHash, f.triggers]))

  // A handler edit: collected and checked again, and the new code is what is built.
  await writeFile(join(root, 'handlers', 'hello.ts'), handler('hello'))
  const edited = await buildProject(config, { out })
  expect(edited.reused).toBe(false)
  expect(edited.functions[0]!.manifest?.codeHash).not.toBe(first.functions[0]!.manifest?.codeHash)
  expect((await buildProject(config, { out })).reused).toBe(true)
}, 180_000)

test('a file imported only for its types is tracked: breaking it fails the next build', async () => {
  const out = join(root, 'out-types')
  await buildProject(config, { out })
  expect((await buildProject(config, { out })).reused).toBe(true)
  await writeFile(join(root, 'types.ts'), 'export type Greeting = { text: number }\n')
  await expect(buildProject(config, { out })).rejects.toThrow(TypeCheckError)
  // Back to what the recorded build read: content, not time, decides.
  await writeFile(join(root, 'types.ts'), 'export type Greeting = { text: string }\n')
  expect((await buildProject(config, { out })).reused).toBe(true)
  await writeFile(join(root, 'types.ts'), 'export type Greeting = { text: string; lang?: string }\n')
  expect((await buildProject(config, { out })).reused).toBe(false)
}, 180_000)

test('a build without the type check does not stand in for one with it', async () => {
  const out = join(root, 'out-unchecked')
  await buildProject(config, { out, typecheck: false })
  expect((await buildProject(config, { out, typecheck: false })).reused).toBe(true)
  expect((await buildProject(config, { out })).reused).toBe(false)
}, 180_000)

test('a reused build takes each bundle from the last build (no esbuild), and bundles again when the stored one was changed', async () => {
  const out = join(root, 'out-bundles')
  const reusedBundles = async () => {
    const events: BuildProgress[] = []
    const project = await buildProject(config, { out, onProgress: (e) => events.push(e) })
    return { project, reused: events.flatMap((e) => (e.step === 'built' ? [e.bundleReused] : [])) }
  }
  const first = await reusedBundles()
  expect(first.reused).toEqual([false])
  const second = await reusedBundles()
  expect(second.project.reused).toBe(true)
  expect(second.reused).toEqual([true])
  expect(second.project.functions[0]!.manifest?.codeHash).toBe(first.project.functions[0]!.manifest?.codeHash)
  // A bundle.js that is not what the record says (edited, or left by a build that failed later):
  // bundled again from the files, and the function is the same as before.
  const bundle = join(first.project.functions[0]!.dir!, 'bundle.js')
  await writeFile(bundle, `${await readFile(bundle, 'utf8')}\n// edited\n`)
  const third = await reusedBundles()
  expect(third.project.reused).toBe(true)
  expect(third.reused).toEqual([false])
  expect(third.project.functions[0]!.manifest?.codeHash).toBe(first.project.functions[0]!.manifest?.codeHash)
  // It wrote the bundle it made, so the next build takes it again.
  expect((await reusedBundles()).reused).toEqual([true])
}, 180_000)
