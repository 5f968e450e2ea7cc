// `nexus init`: the scaffold's files, the refusal of a non-empty folder (nothing written) unless
// --force, `--from` writing file: paths to packed tarballs, and the generated project building with
// the real buildProject. The temp folders live under <repo>/.nexus/ so the project's @nexus/*
// imports resolve to the repository's workspace packages, as an installed project's would.
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { buildProject } from '@nexus/framework/build'
import { InitDirectoryNotEmptyError, initProject } from '../src/commands/init.ts'

const exec = promisify(execFile)
const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
let base: string

beforeAll(async () => {
  await mkdir(join(repoRoot, '.nexus'), { recursive: true })
  base = await mkdtemp(join(repoRoot, '.nexus', 'tmp-init-'))
})
afterAll(async () => {
  await rm(base, { recursive: true, force: true })
})

const expectedFiles = [
  '.gitignore',
  'README.md',
  'handlers/hello.ts',
  'handlers/transfers.ts',
  'nexus.config.ts',
  'package.json',
  'test/hello.test.ts',
  'test/transfers.test.ts',
  'tsconfig.json',
]

test('init scaffolds a project that builds into one HTTP function', async () => {
  const dir = join(base, 'My Functions')
  const written = await initProject(dir)
  expect([...written].sort()).toEqual(expectedFiles)
  expect((await readdir(dir, { recursive: true })).filter((f) => f.includes('.') && !f.startsWith('.nexus')).sort()).toEqual(expectedFiles)

  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))
  expect(pkg).toMatchObject({ name: 'my-functions', type: 'module', dependencies: { '@nexus/framework': '^0.1.0' }, scripts: { test: 'nexus test' } })
  expect(Object.keys(pkg.devDependencies)).toEqual(expect.arrayContaining(['@nexus/cli', 'typescript', 'vitest']))
  expect(await readFile(join(dir, '.gitignore'), 'utf8')).toMatch(/node_modules\/\n\.nexus\/\ndist\//)
  expect(await readFile(join(dir, 'nexus.config.ts'), 'utf8')).toContain("name: 'my-functions'")
  const readme = await readFile(join(dir, 'README.md'), 'utf8')
  for (const step of ['npm install', 'npx nexus dev', 'npx nexus deploy', 'curl -s -X POST', 'npx nexus verify', '/v1/functions/my-functions-hello/http/hello'])
    expect(readme).toContain(step)

  const project = await buildProject(join(dir, 'nexus.config.ts'))
  expect(project.name).toBe('my-functions')
  expect(project.functions.map((f) => [f.id, f.triggers])).toEqual([['my-functions-hello', [{ kind: 'route', method: 'POST', path: '/hello' }]]])
  expect(project.functions[0]!.component!.byteLength).toBeGreaterThan(1000)

  // Its tsconfig typechecks the handlers (the repository's packages as their TypeScript source).
  const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc')
  await exec(process.execPath, [tsc, '-p', dir, '--customConditions', 'nexus-source'], { cwd: dir })
})

test('the commented devnet token block, once uncommented, builds an event handler too', async () => {
  const dir = join(base, 'token-project')
  await initProject(dir)
  const uncomment = (text: string) =>
    text.replace(/^(\s*)\/\/ ?(?=(import|devnet|contracts|\s*Token|\s*chain|\s*address|\s*abi|\s*startBlock|\s*},|},))/gm, '$1')
  const config = uncomment(await readFile(join(dir, 'nexus.config.ts'), 'utf8'))
  await writeFile(join(dir, 'nexus.config.ts'), config)
  // The handler: every `// ` line after the header comment.
  const handler = (await readFile(join(dir, 'handlers/transfers.ts'), 'utf8'))
    .split('\n')
    .map((line) => (line.startsWith('// ') && /^\/\/ (import|const|export| {2}|})/.test(line) ? line.slice(3) : line === '//' ? '' : line))
    .filter((line) => line !== 'export {}')
    .join('\n')
  await writeFile(join(dir, 'handlers/transfers.ts'), handler)
  const project = await buildProject(join(dir, 'nexus.config.ts'), { checkOnly: true })
  expect(project.functions.map((f) => f.id).sort()).toEqual(['token-project-balances', 'token-project-hello'])
  const balances = project.functions.find((f) => f.id === 'token-project-balances')!
  expect(balances.triggers.map((t) => t.kind).sort()).toEqual(['event', 'route'])
  expect(project.chains.map((c) => c.name).sort()).toEqual(['devnet'])
})

test('a non-empty folder is refused with nothing written, unless --force', async () => {
  const dir = join(base, 'taken')
  await mkdir(dir)
  await writeFile(join(dir, 'notes.txt'), 'mine\n')
  await expect(initProject(dir)).rejects.toBeInstanceOf(InitDirectoryNotEmptyError)
  expect(await readdir(dir)).toEqual(['notes.txt'])

  // Through the command: exit 1 and the typed error's message.
  const cli = join(repoRoot, 'cli/src/main.ts')
  const failed = await exec(process.execPath, ['--conditions=nexus-source', '--import', 'tsx', cli, 'init', dir], { cwd: repoRoot }).then(
    () => undefined,
    (err: { code: number; stderr: string }) => err,
  )
  expect(failed?.code).toBe(1)
  expect(failed?.stderr).toContain('is not empty (notes.txt); nothing was written')
  expect(await readdir(dir)).toEqual(['notes.txt'])

  const { stdout } = await exec(process.execPath, ['--conditions=nexus-source', '--import', 'tsx', cli, 'init', dir, '--force'], { cwd: repoRoot })
  expect(stdout).toContain('created 9 files')
  expect(stdout).toContain('handlers/hello.ts')
  expect((await readdir(dir)).sort()).toEqual(['.gitignore', 'README.md', 'handlers', 'nexus.config.ts', 'notes.txt', 'package.json', 'test', 'tsconfig.json'])
  expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('mine\n')
})

test('--from writes file: paths to every packed tarball; a folder without them is refused', async () => {
  const packs = join(base, 'packs')
  await mkdir(packs)
  for (const pkg of ['protocol', 'framework', 'runtime', 'gateway', 'contracts', 'circuits', 'cli']) await writeFile(join(packs, `nexus-${pkg}-0.1.0.tgz`), '')
  const dir = join(base, 'from-packs')
  await initProject(dir, { from: packs })
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))
  expect(pkg.dependencies['@nexus/framework']).toBe(`file:${join(packs, 'nexus-framework-0.1.0.tgz')}`)
  expect(pkg.dependencies['@nexus/protocol']).toBe(`file:${join(packs, 'nexus-protocol-0.1.0.tgz')}`)
  expect(pkg.devDependencies['@nexus/cli']).toBe(`file:${join(packs, 'nexus-cli-0.1.0.tgz')}`)
  const nexus = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)].filter((n) => n.startsWith('@nexus/'))
  expect(nexus).toHaveLength(7)

  const empty = join(base, 'empty-packs')
  await mkdir(empty)
  await expect(initProject(join(base, 'from-nothing'), { from: empty })).rejects.toThrow(/no nexus-framework-<version>\.tgz/)
  await expect(readdir(join(base, 'from-nothing'))).rejects.toThrow()
})
