// Closing a PGlite that ran initdb leaves ≈ 500 MB of WebAssembly memories (initdb's and the
// instance's own) that only a major garbage collection frees, and a process that goes idle after
// opening its store may not run one for minutes: a replica that built the initdb template was
// measured holding them while idle. So the one place that knows they just became garbage collects.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { PGlite } from '@electric-sql/pglite'

/**
 * Runs a full (mark-compact) collection of this isolate's heap. Uses `globalThis.gc` when Node runs
 * with --expose-gc; otherwise takes it from a fresh context created with the flag on, then turns the
 * flag off again, so `gc` never appears on the process's own global object.
 */
export function collectGarbage(): void {
  const exposed = (globalThis as { gc?: () => void }).gc
  if (exposed) {
    exposed()
    return
  }
  setFlagsFromString('--expose-gc')
  try {
    ;(runInNewContext('gc') as () => void)()
  } finally {
    setFlagsFromString('--no-expose-gc')
  }
}

/**
 * Closes `pg` and frees its memories now. The collection waits one macrotask: right after `close()`
 * resolves, PGlite's runtime still holds part of the instance (measured: a collection then freed
 * 40–200 MB of ≈ 530; one a timer tick later freed all of it, resident 780–800 → 270–290 MB). On a
 * loaded machine one tick was once not enough (CI, the memories still mapped), so a second
 * collection follows a tick later: a few tens of ms, once per store opened.
 */
export async function closeAndCollect(pg: PGlite): Promise<void> {
  await pg.close()
  for (let round = 0; round < 2; round++) {
    await new Promise((resolve) => setTimeout(resolve, 0))
    collectGarbage()
  }
}
