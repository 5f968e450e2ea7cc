// A closed PGlite's WebAssembly memories (≈ 500 MB after initdb) go only when V8 collects, and a
// process idle after opening its store could go minutes without a collection: closeAndCollect
// (store/collect-garbage.ts), used where initdb's instance is closed, frees them at once.
import { readFileSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { expect, test } from 'vitest'
import { closeAndCollect } from '../src/store/collect-garbage.ts'

/**
 * This process's large WebAssembly memories (start address and MiB of address space each): V8 maps
 * a memory as a read-write part directly followed by an inaccessible guard region of gigabytes (Linux).
 */
function largeWasmMemories(): { start: number; size: number }[] {
  const maps = readFileSync('/proc/self/maps', 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [range, perms] = line.split(' ') as [string, string]
      const [start, end] = range.split('-').map((hex) => Number.parseInt(hex, 16)) as [number, number]
      return { start, end, perms }
    })
  return maps.flatMap((m, i) => {
    const next = maps[i + 1]
    const guarded = next !== undefined && next.start === m.end && next.perms.startsWith('---') && next.end - next.start >= 2 ** 30
    const size = (m.end - m.start) / 2 ** 20
    return m.perms.startsWith('rw') && guarded && size >= 64 ? [{ start: m.start, size }] : []
  })
}

test.skipIf(process.platform !== 'linux')('closeAndCollect unmaps a closed PGlite’s WebAssembly memories without waiting for V8', async () => {
  // Only the memories this PGlite maps count: a forked test worker may have run another file first.
  const before = new Set(largeWasmMemories().map((m) => m.start))
  const ours = () => largeWasmMemories().filter((m) => !before.has(m.start))
  const pg = new PGlite() // in memory: runs initdb, like a fresh folder without a template
  await pg.waitReady
  expect(ours().length).toBeGreaterThan(0)
  await closeAndCollect(pg)
  // Nothing here allocates: without the collection they stayed mapped (measured for minutes). V8 may
  // unmap the freed memories on a background thread, which a loaded machine can delay: a few seconds
  // are allowed for that, far below the minutes it took without a collection.
  const deadline = Date.now() + 5_000
  while (ours().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  expect(ours()).toEqual([])
})
