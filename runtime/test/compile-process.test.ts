// The compile runs in a child process (build/compile-in-child.ts) for its own V8 flags. A process
// that compiled must still exit on its own once its work is done (an idle compile process may not
// hold it), and the compile process must end with it, not linger as an orphan holding binaryen's
// memory. A real `node` parent, a real compile of a QuickJS component.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, expect, test } from 'vitest'
import { buildHandler } from '../src/index.ts'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nexus-compile-process-'))
  const { component } = await buildHandler(fileURLToPath(new URL('./fixtures/slow-handler.ts', import.meta.url)), { name: 'compile-process' })
  await writeFile(join(dir, 'component.wasm'), component)
  // Compiles, prints its child processes (the compile process), then has nothing left to do.
  await writeFile(
    join(dir, 'parent.mts'),
    `import { readFileSync } from 'node:fs'
import { compileFiles } from ${JSON.stringify(fileURLToPath(new URL('../src/build/compile-in-child.ts', import.meta.url)))}
const files = await compileFiles(new Uint8Array(readFileSync(${JSON.stringify(join(dir, 'component.wasm'))})), 256)
const children = readFileSync('/proc/self/task/' + process.pid + '/children', 'utf8').trim().split(' ').filter(Boolean)
console.log(JSON.stringify({ files: Object.keys(files).length, children }))
`,
  )
}, 120_000)

test('a process that compiled exits by itself, and its compile process (baseline WebAssembly only) ends too', async () => {
  const parent = spawn(process.execPath, ['--conditions=nexus-source', '--import', 'tsx', join(dir, 'parent.mts')], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  parent.stdout.on('data', (d) => (out += d))
  let flags = ''
  const code = await new Promise<number | null>((resolve) => {
    parent.stdout.once('data', () => {
      // The compile process, while it still runs (idle): its command line carries the V8 flag.
      const pid = (JSON.parse(out) as { children: string[] }).children[0]
      if (pid && existsSync(`/proc/${pid}/cmdline`)) flags = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    })
    parent.on('exit', resolve)
  })
  expect(code).toBe(0)
  const { files, children } = JSON.parse(out) as { files: number; children: string[] }
  expect(files).toBeGreaterThan(1)
  expect(children).toHaveLength(1)
  expect(flags.split('\0')).toContain('--liftoff-only')
  // The parent is gone; its compile process follows once the channel closes.
  const deadline = Date.now() + 10_000
  while (existsSync(`/proc/${children[0]}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  expect(existsSync(`/proc/${children[0]}`)).toBe(false)
}, 120_000)
