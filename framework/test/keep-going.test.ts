// `buildProject(…, { keepGoing: true })` (what `nexus dev` rebuilds with on save): a handler file
// with a syntax error, one that throws while loading and a decorator that does not fit the config
// each become a failure with the file:line:col to fix, and the good function still builds. A
// bundle error carries esbuild's location.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { buildProject, describeFailure, formatFailure, TypeCheckError } from '../src/build/index.ts'
import { bundleEntry } from '../src/build/bundle-entry.ts'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
let root: string

beforeAll(async () => {
  await mkdir(join(repoRoot, '.nexus'), { recursive: true })
  // Inside the repository, so `@nexus/framework` resolves to the workspace package.
  root = await mkdtemp(join(repoRoot, '.nexus', 'tmp-keep-going-'))
  await mkdir(join(root, 'handlers'))
  await writeFile(join(root, 'nexus.config.ts'), `export default { name: 'kg', chains: { local: { chainId: 31337 } } }\n`)
  const http = (name: string, body = 'return 1') =>
    `import { onHttp } from '@nexus/framework/decorators'\nexport class C {\n  @onHttp({ method: 'POST', path: '/${name}' })\n  ${name}() {\n    ${body}\n  }\n}\n`
  await writeFile(join(root, 'handlers', 'good.ts'), http('good'))
  await writeFile(join(root, 'handlers', 'syntax.ts'), http('syntax', 'return 1 +* 2'))
  await writeFile(join(root, 'handlers', 'throws.ts'), `const ready = true\n\nif (ready) throw new Error('boom while loading')\n`)
  await writeFile(
    join(root, 'handlers', 'event.ts'),
    `import { onEvent } from '@nexus/framework/decorators'\nexport class E {\n  @onEvent({ contract: 'Token', event: 'Transfer' })\n  indexed() {}\n}\n`,
  )
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

test('each failure has its location; the good function is still there', async () => {
  // The loader's and the validator's failures (the type checker's are the next test's).
  const project = await buildProject(join(root, 'nexus.config.ts'), { checkOnly: true, keepGoing: true, typecheck: false })
  expect(project.functions.map((f) => f.id)).toEqual(['kg-good'])
  const byFile = Object.fromEntries(project.failures.map((f) => [f.file.slice(root.length + 1), f]))
  expect(Object.keys(byFile).sort()).toEqual(['handlers/event.ts', 'handlers/syntax.ts', 'handlers/throws.ts'])

  expect(byFile['handlers/syntax.ts']).toMatchObject({ location: { file: join(root, 'handlers/syntax.ts'), line: 5, column: 15 }, message: 'Unexpected "*"' })
  expect(byFile['handlers/syntax.ts']!.id).toBeUndefined()
  expect(byFile['handlers/throws.ts']).toMatchObject({ location: { file: join(root, 'handlers/throws.ts'), line: 3 }, message: 'boom while loading' })
  expect(byFile['handlers/event.ts']).toMatchObject({ id: 'kg-indexed', location: { file: join(root, 'handlers/event.ts'), line: 3 } })
  expect(byFile['handlers/event.ts']!.message).toMatch(/Token/)
  expect(formatFailure(byFile['handlers/syntax.ts']!, (p) => p.slice(root.length + 1))).toBe('handlers/syntax.ts:5:15: Unexpected "*"')
})

test('without keepGoing the first error is thrown, as before', async () => {
  await expect(buildProject(join(root, 'nexus.config.ts'), { checkOnly: true, typecheck: false })).rejects.toThrow(/Could not load handler file/)
  await expect(buildProject(join(root, 'nexus.config.ts'), { checkOnly: true })).rejects.toThrow(TypeCheckError)
})

test('type-checked with keepGoing: a handler file with type errors is one failure, the others build', async () => {
  const project = await buildProject(join(root, 'nexus.config.ts'), {
    checkOnly: true,
    keepGoing: true,
    handlers: [join(root, 'handlers', 'good.ts'), join(root, 'handlers', 'syntax.ts')],
  })
  expect(project.functions.map((f) => f.id)).toEqual(['kg-good'])
  expect(project.failures).toHaveLength(1)
  expect(project.failures[0]).toMatchObject({ file: join(root, 'handlers/syntax.ts'), location: { line: 5 } })
  expect(project.failures[0]!.error).toBeInstanceOf(TypeCheckError)
  expect(project.failures[0]!.message).toMatch(/^error TS\d+: /)
  expect(formatFailure(project.failures[0]!, (p) => p.slice(root.length + 1))).toMatch(/^handlers\/syntax\.ts:5:\d+: error TS\d+: /)
})

test('a bundle error carries esbuild location', async () => {
  const err = await bundleEntry({ source: 'export const x = 1\nexport const y = ;\n', name: 'kg-x', root }).catch((e: unknown) => e)
  expect(describeFailure(err, root)).toEqual({ location: { file: join(root, 'kg-x.entry.js'), line: 2, column: 18 }, message: 'Unexpected ";"' })
})
