// Replicas that share a compile cache folder (several in one test process, or processes started
// at once) compile the same code hash at the same moment: they must all get a complete entry, and
// none may replace files another is loading (that was an ENOTEMPTY from rename, or a torn read).
import { spawn } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, expect, test } from 'vitest'
import { buildHandler, compileComponent } from '../src/index.ts'
import { loadCompiled } from '../src/sandbox/load-compiled.ts'
import { defaultLimits } from '../src/sandbox/limits.ts'
import { meteredModulesFor } from '../src/build/metered-modules.ts'

/** What a compile left in the cache folder (its entries), with no lock or temporary file there or among the kept metered modules. */
async function leftIn(cacheDir: string): Promise<string[]> {
  const kept = await readdir(await meteredModulesFor(cacheDir))
  expect(kept.filter((f) => f.includes('.tmp-'))).toEqual([])
  return (await readdir(cacheDir)).sort()
}

let component: Uint8Array
beforeAll(async () => {
  component = (await buildHandler(fileURLToPath(new URL('./fixtures/slow-handler.ts', import.meta.url)), { name: 'compile-race' })).component
})

test('concurrent compiles of one code hash into one folder: one entry, all loadable, no temp folders left', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'nexus-compile-race-'))
  const options = { cacheDir, memoryPages: defaultLimits.memoryPages }
  const results = await Promise.all(Array.from({ length: 4 }, () => compileComponent(component, options)))
  expect(new Set(results.map((r) => r.dir)).size).toBe(1)
  for (const r of results) expect((await loadCompiled(r.dir)).modules.size).toBeGreaterThan(0)
  expect((await readdir(cacheDir)).filter((e) => e.includes('.tmp-'))).toEqual([])
})

test('an entry without READY (a crash mid-write) is compiled again', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'nexus-compile-race-'))
  const options = { cacheDir, memoryPages: defaultLimits.memoryPages }
  const { dir } = await compileComponent(component, options)
  await rm(join(dir, 'READY'))
  await writeFile(join(dir, 'component.js'), 'torn')
  const again = await compileComponent(component, options)
  expect(again.dir).toBe(dir)
  expect(await readFile(join(dir, 'READY'), 'utf8')).toBe(again.codeHash)
  expect((await loadCompiled(dir)).modules.size).toBeGreaterThan(0)
})

test('another compiler’s lock makes this one wait for its entry; a stale lock (a crashed compiler) is taken over', async () => {
  const options = { cacheDir: await mkdtemp(join(tmpdir(), 'nexus-compile-race-')), memoryPages: defaultLimits.memoryPages }
  const { dir } = await compileComponent(component, options)
  const entry = basename(dir)

  // Held: nothing resolves while the lock is there, and the entry is reused (not compiled again) once it is.
  const waiting = { ...options, cacheDir: await mkdtemp(join(tmpdir(), 'nexus-compile-race-')) }
  await mkdir(join(waiting.cacheDir, `${entry}.lock`))
  let settled = false
  const pending = compileComponent(component, waiting).finally(() => (settled = true))
  await new Promise((resolve) => setTimeout(resolve, 1500))
  expect(settled).toBe(false)
  await cp(dir, join(waiting.cacheDir, entry), { recursive: true })
  await rm(join(waiting.cacheDir, `${entry}.lock`), { recursive: true })
  expect((await pending).dir).toBe(join(waiting.cacheDir, entry))

  // Stale: a lock from eleven minutes ago does not hold anyone up.
  const stale = { ...options, cacheDir: await mkdtemp(join(tmpdir(), 'nexus-compile-race-')) }
  const lock = join(stale.cacheDir, `${entry}.lock`)
  await mkdir(lock)
  const old = new Date(Date.now() - 11 * 60_000)
  await utimes(lock, old, old)
  const taken = await compileComponent(component, stale)
  expect(await readFile(join(taken.dir, 'READY'), 'utf8')).toBe(taken.codeHash)
  expect(await leftIn(stale.cacheDir)).toEqual([entry])
})

test('a lock whose owner process is gone (a replica SIGKILLed mid-compile) is taken over at once; a live owner holds it', async () => {
  const options = { cacheDir: await mkdtemp(join(tmpdir(), 'nexus-compile-race-')), memoryPages: defaultLimits.memoryPages }
  const entry = basename((await compileComponent(component, options)).dir)

  const live = { ...options, cacheDir: await mkdtemp(join(tmpdir(), 'nexus-compile-race-')) }
  await mkdir(join(live.cacheDir, `${entry}.lock`))
  await writeFile(join(live.cacheDir, `${entry}.lock`, 'owner'), String(process.ppid)) // the test runner: alive
  let settled = false
  const pending = compileComponent(component, live).finally(() => (settled = true))
  await new Promise((resolve) => setTimeout(resolve, 1500))
  expect(settled).toBe(false)
  await rm(join(live.cacheDir, `${entry}.lock`), { recursive: true })
  await pending

  // A pid that ran and exited: no process has it now.
  const gone = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
    child.once('exit', () => resolve(child.pid!))
  })
  const dead = { ...options, cacheDir: await mkdtemp(join(tmpdir(), 'nexus-compile-race-')) }
  await mkdir(join(dead.cacheDir, `${entry}.lock`))
  await writeFile(join(dead.cacheDir, `${entry}.lock`, 'owner'), String(gone))
  const taken = await compileComponent(component, dead)
  expect(await readFile(join(taken.dir, 'READY'), 'utf8')).toBe(taken.codeHash)
  expect(await leftIn(dead.cacheDir)).toEqual([entry])
})
