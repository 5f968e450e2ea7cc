import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { CompiledComponent } from './instance-pool.ts'

/** Loads a compiled artifact folder (jco glue + metered core modules) and compiles its modules once. */
export async function loadCompiled(dir: string): Promise<CompiledComponent> {
  const modules = new Map<string, WebAssembly.Module>()
  let wasmBytes = 0
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.wasm')) continue
    const bytes = await readFile(join(dir, name))
    wasmBytes += bytes.length
    modules.set(name, await WebAssembly.compile(bytes))
  }
  // An ES module stays in the module map once imported: a component loaded again after an
  // eviction reuses its glue; only its WebAssembly (modules, memories) is freed and recompiled.
  const glue = (await import(pathToFileURL(join(dir, 'component.js')).href)) as Pick<CompiledComponent, 'instantiate'>
  return { instantiate: glue.instantiate, modules, wasmBytes }
}
