// Metered core modules are kept by content (build/metered-modules.ts): the QuickJS engine module,
// the same in every function, is metered once per folder of metered modules (by default one in the
// user's Nexus cache, shared by every compile cache); a kept module runs exactly as one metered anew
// (same output, same fuel), and a damaged file is metered again, never loaded.
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from '@bytecodealliance/jco'
import { expect, test } from 'vitest'
import { buildHandler, compileComponent } from '../src/index.ts'
import { meterCached, meteredModulesDir, meteredModulesFor } from '../src/build/metered-modules.ts'
import { loadCompiled } from '../src/sandbox/load-compiled.ts'
import { ComponentRunner } from '../src/sandbox/run-invocation.ts'
import { defaultLimits } from '../src/sandbox/limits.ts'

const tempDir = (prefix: string) => mkdtemp(join(tmpdir(), prefix))

test('a kept module is taken instead of metering again; a damaged one is metered again and replaced; small modules are not kept', async () => {
  const module = await parse('(module (func (export "f") (result i32) (i32.const 7)))')
  const dir = join(await tempDir('nexus-metered-'), 'metered-modules')
  let metered = 0
  const meter = (core: Uint8Array) => {
    metered++
    return Uint8Array.from([...core, metered]) // stands for the metered bytes; differs per call
  }
  const first = meterCached(module, 2048, meter, dir, 0)
  expect(first.fromCache).toBe(false)
  const again = meterCached(module, 2048, meter, dir, 0)
  expect(again).toEqual({ bytes: first.bytes, fromCache: true })
  expect(metered).toBe(1)
  // Another page cap is another metering.
  expect(meterCached(module, 1024, meter, dir, 0).fromCache).toBe(false)
  expect(metered).toBe(2)

  const [file] = (await readdir(dir)).filter((f) => f.endsWith('-2048.wasm'))
  const stored = await readFile(join(dir, file!))
  stored[stored.length - 1]! ^= 0xff
  await writeFile(join(dir, file!), stored)
  const repaired = meterCached(module, 2048, meter, dir, 0)
  expect(repaired.fromCache).toBe(false)
  expect(metered).toBe(3)
  expect(meterCached(module, 2048, meter, dir, 0)).toEqual({ bytes: repaired.bytes, fromCache: true })

  // Below the code threshold (the default: 64 KiB of code) nothing is kept; without a folder neither.
  expect(meterCached(module, 2048, meter, join(dir, 'small'))).toMatchObject({ fromCache: false })
  expect(meterCached(module, 2048, meter, join(dir, 'small'))).toMatchObject({ fromCache: false })
  expect(meterCached(module, 2048, meter, undefined, 0)).toMatchObject({ fromCache: false })
  expect(metered).toBe(6)
})

test('two QuickJS functions compiled into one cache meter the engine once; the kept engine runs with the same fuel as one metered anew', async () => {
  const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname
  const [a, b] = await Promise.all([buildHandler(fixture('mixed-handler.ts'), { name: 'a' }), buildHandler(fixture('utf8-handler.ts'), { name: 'b' })])
  const cacheDir = await tempDir('nexus-metered-e2e-')
  const pages = defaultLimits.memoryPages
  // A folder of this compile cache's own, so that what the test counts is what these compiles kept.
  const moduleCache = meteredModulesDir(cacheDir)
  const first = await compileComponent(a.component, { cacheDir, memoryPages: pages, moduleCache })
  const kept = await readdir(meteredModulesDir(cacheDir))
  expect(kept).toHaveLength(1) // the engine; each function's own module is data only
  const before = await stat(join(meteredModulesDir(cacheDir), kept[0]!))
  const second = await compileComponent(b.component, { cacheDir, memoryPages: pages, moduleCache })
  expect(second.dir).not.toBe(first.dir)
  expect(await readdir(meteredModulesDir(cacheDir))).toEqual(kept)
  const after = await stat(join(meteredModulesDir(cacheDir), kept[0]!))
  expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs])
  // The second function's engine module is the kept one, byte for byte.
  const engine = (await readFile(join(meteredModulesDir(cacheDir), kept[0]!))).subarray(32)
  const modules = await Promise.all((await readdir(second.dir)).filter((f) => f.endsWith('.wasm')).map((f) => readFile(join(second.dir, f))))
  expect(modules.some((m) => m.equals(engine))).toBe(true)

  // The same function compiled in a cache of its own (engine metered anew): same output, same fuel.
  const aloneCache = await tempDir('nexus-metered-alone-')
  const alone = await compileComponent(b.component, { cacheDir: aloneCache, memoryPages: pages, moduleCache: meteredModulesDir(aloneCache) })
  const info = { functionId: 'b', seq: 1n, trigger: 'http', chainId: 1n, blockNumber: 0n, timestampMs: 0n, randomSeed: `0x${'00'.repeat(32)}` }
  const input = new TextEncoder().encode('héllo, wörld')
  const run = async (dir: string) => new ComponentRunner(await loadCompiled(dir)).run(info, input, defaultLimits, <T>() => null as T)
  const [shared, own] = await Promise.all([run(second.dir), run(alone.dir)])
  expect(shared.status).toBe(0)
  expect(shared).toEqual(own)
})

test('compile caches of one user share its folder of metered modules: a second cache takes the engine from it', async () => {
  const previous = process.env.NEXUS_CACHE_DIR
  // Before this file's first use of the user's cache: nexusCacheDir resolves it once per process.
  process.env.NEXUS_CACHE_DIR = await tempDir('nexus-metered-user-')
  try {
    const shared = await meteredModulesFor(await tempDir('nexus-metered-a-'))
    expect(shared).toBe(join(process.env.NEXUS_CACHE_DIR, 'metered-modules'))
    const component = (await buildHandler(new URL('./fixtures/mixed-handler.ts', import.meta.url).pathname, { name: 'a' })).component
    const pages = defaultLimits.memoryPages
    const [cacheA, cacheB] = [await tempDir('nexus-metered-a-'), await tempDir('nexus-metered-b-')]
    await compileComponent(component, { cacheDir: cacheA, memoryPages: pages })
    const kept = await readdir(shared)
    expect(kept).toHaveLength(1) // the engine, kept in the user's folder, not in cache A
    expect(await readdir(cacheA)).not.toContain('metered-modules')
    const before = await stat(join(shared, kept[0]!))
    const inB = await compileComponent(component, { cacheDir: cacheB, memoryPages: pages })
    const after = await stat(join(shared, kept[0]!))
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]) // taken, not metered and written again
    const engine = (await readFile(join(shared, kept[0]!))).subarray(32)
    const modules = await Promise.all((await readdir(inB.dir)).filter((f) => f.endsWith('.wasm')).map((f) => readFile(join(inB.dir, f))))
    expect(modules.some((m) => m.equals(engine))).toBe(true)
  } finally {
    if (previous === undefined) delete process.env.NEXUS_CACHE_DIR
    else process.env.NEXUS_CACHE_DIR = previous
  }
})
