// The bundle cache the replicas and their workers start from (build/hashed-bundle.ts, cache-dir.ts):
// reused without esbuild while its inputs are unchanged, rebuilt when one changes or the output
// was altered, and never kept in a folder another user could have made.
import { chmod, mkdtemp, readFile, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cacheDirCandidates, ensurePrivateDir } from '../src/build/cache-dir.ts'
import { bundleToHashedFile } from '../src/build/hashed-bundle.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nexus-hashed-bundle-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

async function project() {
  const src = join(dir, 'src')
  const cache = await ensurePrivateDir(join(dir, 'cache'))
  await ensurePrivateDir(src)
  await writeFile(join(src, 'part.ts'), 'export const part: string = "one"\n')
  await writeFile(join(src, 'entry.ts'), 'import { part } from "./part.ts"\nconsole.log(part)\n')
  let builds = 0
  const request = () => ({
    entry: join(src, 'entry.ts'),
    name: 'entry',
    cacheDir: cache,
    variant: 'test',
    options: {
      format: 'esm' as const,
      platform: 'node' as const,
      logLevel: 'silent' as const,
      // Counts esbuild's builds: a reused bundle never starts one.
      plugins: [{ name: 'count', setup: (b: { onStart: (f: () => void) => void }) => b.onStart(() => void builds++) }],
    },
  })
  return { src, cache, request, builds: () => builds }
}

describe('bundleToHashedFile', () => {
  it('reuses the bundle while the inputs are unchanged and rebuilds when one changes', async () => {
    const p = await project()
    const first = await bundleToHashedFile(p.request())
    expect(first).toMatch(/entry-[0-9a-f]{16}\/entry\.mjs$/)
    expect(await readFile(first, 'utf8')).toContain('"one"')
    expect(p.builds()).toBe(1)

    expect(await bundleToHashedFile(p.request())).toBe(first)
    expect(p.builds()).toBe(1)

    // Touched, not changed (a newer mtime, the same bytes): still reused.
    await utimes(join(p.src, 'part.ts'), new Date(), new Date(Date.now() + 5_000))
    expect(await bundleToHashedFile(p.request())).toBe(first)
    expect(p.builds()).toBe(1)

    // An imported file, not the entry, changes (to the same size): the manifest lists it.
    await writeFile(join(p.src, 'part.ts'), 'export const part: string = "two"\n')
    const second = await bundleToHashedFile(p.request())
    expect(p.builds()).toBe(2)
    expect(second).not.toBe(first)
    expect(await readFile(second, 'utf8')).toContain('"two"')
  })

  it('rebuilds when the output was altered on disk, and a different variant is its own entry', async () => {
    const p = await project()
    const first = await bundleToHashedFile(p.request())
    await writeFile(first, 'process.exit(7)\n')
    const again = await bundleToHashedFile(p.request())
    expect(p.builds()).toBe(2)
    expect(await readFile(again, 'utf8')).toContain('"one"')

    await bundleToHashedFile({ ...p.request(), variant: 'other' })
    expect(p.builds()).toBe(3)
    expect((await readdir(p.cache)).filter((f) => f.endsWith('.inputs.json'))).toHaveLength(2)
  })

  it('with splitting, a dynamic import is a chunk loaded only when it runs', async () => {
    const p = await project()
    await writeFile(join(p.src, 'lazy.ts'), '(globalThis as Record<string, unknown>).lazyLoaded = true\nexport const value = 42\n')
    await writeFile(join(p.src, 'entry.ts'), 'export const load = () => import("./lazy.ts")\n')
    const request = p.request()
    const entry = await bundleToHashedFile({ ...request, options: { ...request.options, splitting: true } })
    expect((await readdir(join(entry, '..'))).length).toBeGreaterThan(1)
    const flags = globalThis as Record<string, unknown>
    const { load } = (await import(entry)) as { load: () => Promise<{ value: number }> }
    expect(flags.lazyLoaded).toBeUndefined()
    expect((await load()).value).toBe(42)
    expect(flags.lazyLoaded).toBe(true)
  })

  it('writes the bundle and its manifest readable by this user only', async () => {
    const p = await project()
    const file = await bundleToHashedFile(p.request())
    const { stat } = await import('node:fs/promises')
    expect((await stat(file)).mode & 0o077).toBe(0)
  })
})

describe('the cache folder', () => {
  it('is refused when it is a symlink, and tightened when others could write it', async () => {
    const real = join(dir, 'real')
    await ensurePrivateDir(real)
    await symlink(real, join(dir, 'link'))
    await expect(ensurePrivateDir(join(dir, 'link'))).rejects.toThrow(/symlink is refused/)
    await chmod(real, 0o777)
    await ensurePrivateDir(real)
    const { stat } = await import('node:fs/promises')
    expect((await stat(real)).mode & 0o777).toBe(0o700)
  })

  it('is NEXUS_CACHE_DIR first, then the project node_modules/.cache/nexus, never the temp folder', () => {
    const saved = process.env.NEXUS_CACHE_DIR
    try {
      process.env.NEXUS_CACHE_DIR = '/somewhere/mine'
      const installed = cacheDirCandidates('/home/u/app/node_modules/@nexus/runtime/dist/build/cache-dir.js')
      expect(installed.slice(0, 2)).toEqual(['/somewhere/mine', '/home/u/app/node_modules/.cache/nexus'])
      delete process.env.NEXUS_CACHE_DIR
      const here = cacheDirCandidates()
      expect(here[0]).toMatch(/node_modules\/\.cache\/nexus$/)
      expect(here.some((d) => d.startsWith(tmpdir()))).toBe(false)
    } finally {
      if (saved === undefined) delete process.env.NEXUS_CACHE_DIR
      else process.env.NEXUS_CACHE_DIR = saved
    }
  })
})
