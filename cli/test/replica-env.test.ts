// The malloc settings `nexus dev` gives its replica processes (docs/runtime.md, "Memory"): a fixed
// mmap threshold of 32 KiB and two arenas, unless the caller's environment names its own.
import { afterEach, expect, test } from 'vitest'
import { replicaEnv } from '../src/dev/index.ts'

const saved = { ...process.env }
afterEach(() => {
  for (const name of ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_ARENA_MAX']) {
    if (saved[name] === undefined) delete process.env[name]
    else process.env[name] = saved[name]
  }
})

test('replicas get a 32 KiB mmap threshold and two malloc arenas', () => {
  delete process.env.MALLOC_MMAP_THRESHOLD_
  delete process.env.MALLOC_ARENA_MAX
  expect(replicaEnv()).toMatchObject({ MALLOC_MMAP_THRESHOLD_: '32768', MALLOC_ARENA_MAX: '2' })
})

test("the caller's environment wins over those defaults", () => {
  process.env.MALLOC_MMAP_THRESHOLD_ = '131072'
  expect(replicaEnv().MALLOC_MMAP_THRESHOLD_).toBe('131072')
})
