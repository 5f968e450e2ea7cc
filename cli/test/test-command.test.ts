// `nexus test` does what a new user does after `nexus init`: runs the scaffold's own tests (vitest,
// createTestRuntime on the real built handlers) green; then, with the devnet token block, the event
// handler and its test uncommented, both tests. The projects live under <repo>/.nexus/ so their
// @nexus/* imports and vitest resolve to the repository's, as an installed project's would.
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { initProject } from '../src/commands/init.ts'
import { VitestMissingError, vitestArgs, vitestBin } from '../src/commands/test.ts'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
// The command from source, not the bin: the bin prefers cli/dist, which other test files (dist,
// new-user) rebuild meanwhile.
const nexus = ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, join(repoRoot, 'cli/src/main.ts')]
let base: string

beforeAll(async () => {
  await mkdir(join(repoRoot, '.nexus'), { recursive: true })
  base = await mkdtemp(join(repoRoot, '.nexus', 'tmp-test-cmd-'))
})
afterAll(async () => {
  await rm(base, { recursive: true, force: true })
})

/** `nexus test` in `dir`, outside this vitest: its VITEST* variables would make the inner one a worker. */
function nexusTest(dir: string): Promise<{ code: number; out: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')))
  return new Promise((resolve) => {
    execFile(process.execPath, [...nexus, 'test'], { cwd: dir, env: { ...env, NO_COLOR: '1' }, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}\n${stderr}` }),
    )
  })
}

test('nexus init, then nexus test: the scaffold tests pass; uncommented, the Transfer test too', async () => {
  const dir = join(base, 'fresh')
  await initProject(dir)
  const first = await nexusTest(dir)
  expect(first.out).toMatch(/Tests {2}1 passed \| 1 todo/)
  expect(first.code).toBe(0)

  // The devnet token: config block, handler and test uncommented, as the files' comments say.
  const config = (await readFile(join(dir, 'nexus.config.ts'), 'utf8')).replace(
    /^(\s*)\/\/ ?(?=(import|devnet|contracts|\s*Token|\s*chain|\s*address|\s*abi|\s*startBlock|\s*},|},))/gm,
    '$1',
  )
  await writeFile(join(dir, 'nexus.config.ts'), config)
  const handler = (await readFile(join(dir, 'handlers/transfers.ts'), 'utf8'))
    .split('\n')
    .map((line) => (line.startsWith('// ') && /^\/\/ (import|const|export| {2}|})/.test(line) ? line.slice(3) : line === '//' ? '' : line))
    .filter((line) => line !== 'export {}')
    .join('\n')
  await writeFile(join(dir, 'handlers/transfers.ts'), handler)
  const testFile = (await readFile(join(dir, 'test/transfers.test.ts'), 'utf8')).split('\n')
  const todo = testFile.findIndex((l) => l.startsWith('test.todo('))
  const body = testFile.slice(todo + 1).map((l) => (l.startsWith('// ') ? l.slice(3) : l === '//' ? '' : l))
  await writeFile(join(dir, 'test/transfers.test.ts'), [...testFile.slice(0, todo - 1), ...body].join('\n'))

  const second = await nexusTest(dir)
  expect(second.out).toMatch(/Tests {2}2 passed/)
  expect(second.code).toBe(0)
}, 900_000)

test('a project without vitest is told to install it; vitest runs once unless asked to watch', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nexus-no-vitest-'))
  try {
    expect(() => vitestBin(dir)).toThrow(VitestMissingError)
    expect(() => vitestBin(dir)).toThrow(/vitest is not installed in .*npm i -D vitest/s)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  expect(vitestBin(repoRoot)).toMatch(/vitest\.mjs$/)
  expect(vitestArgs([])).toEqual(['run'])
  expect(vitestArgs(['test/hello.test.ts', '-t', 'greets'])).toEqual(['run', 'test/hello.test.ts', '-t', 'greets'])
  expect(vitestArgs(['watch'])).toEqual(['watch'])
  expect(vitestArgs(['--watch'])).toEqual(['--watch'])
})
