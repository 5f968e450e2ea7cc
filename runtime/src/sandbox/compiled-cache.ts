// The sandbox worker's components, by code hash: each one's compiled core modules (shared by all
// the functions that run that code) and its runner, which keeps one pristine instance to reset
// instead of instantiating anew. Bounded by a byte budget, least recently used first out: an
// evicted component is loaded again from the on-disk compile cache (build/compile.ts) on its next
// invocation. What is cached never changes a result (a reset instance is indistinguishable from a
// fresh one), so eviction is invisible to guests and to digests.
import { loadCompiled } from './load-compiled.ts'
import { ComponentRunner } from './run-invocation.ts'

export type CacheStats = {
  /** Bytes accounted to cached components: their core modules' wasm bytes, plus each idle instance's memories and pristine snapshot. */
  bytes: number
  entries: number
  /** Components evicted for the budget since the worker started. */
  evictions: number
  /** Components dropped because no function runs them any more (`forget`). */
  forgotten: number
  budget: number
}

type Entry = { runner: Promise<ComponentRunner>; moduleBytes: number; bytes: number }

/** Default byte budget of a sandbox's component cache (`nexus replica --memory-budget-mb`). */
export const DEFAULT_MEMORY_BUDGET_BYTES = 64 << 20

export class CompiledCache {
  // Map iteration is insertion order: re-inserting on use keeps the least recently used first.
  private readonly entries = new Map<string, Entry>()
  private evictions = 0
  private forgotten = 0
  constructor(private readonly budget: number) {}

  /** The runner of `codeHash`, loading `dir` when it is not cached; marks it most recently used. */
  runner(codeHash: string, dir: string): Promise<ComponentRunner> {
    let entry = this.entries.get(codeHash)
    if (entry) this.entries.delete(codeHash)
    else {
      const created: Entry = { runner: undefined as unknown as Entry['runner'], moduleBytes: 0, bytes: 0 }
      created.runner = loadCompiled(dir).then((c) => {
        created.moduleBytes = c.wasmBytes
        return new ComponentRunner(c)
      })
      entry = created
      created.runner.catch(() => {
        if (this.entries.get(codeHash) === created) this.entries.delete(codeHash)
      })
    }
    this.entries.set(codeHash, entry)
    return entry.runner
  }

  /** After a run of `codeHash`: account what its runner now holds, then evict down to the budget. */
  async settle(codeHash: string): Promise<void> {
    const entry = this.entries.get(codeHash)
    if (entry) entry.bytes = entry.moduleBytes + (await entry.runner).retainedBytes()
    for (const hash of this.entries.keys()) {
      if (this.bytes() <= this.budget) break
      this.entries.delete(hash)
      this.evictions++
    }
  }

  /** Drops components no live function runs (they would only be evicted later). */
  forget(codeHashes: string[]): void {
    for (const hash of codeHashes) if (this.entries.delete(hash)) this.forgotten++
  }

  stats(): CacheStats {
    return { bytes: this.bytes(), entries: this.entries.size, evictions: this.evictions, forgotten: this.forgotten, budget: this.budget }
  }

  private bytes(): number {
    let sum = 0
    for (const e of this.entries.values()) sum += e.bytes
    return sum
  }
}
