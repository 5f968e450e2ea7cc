import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { CompiledComponent } from './instance-pool.ts'

/** Loads a compiled artifact folder (jco glue + metered core modules) and compiles its modules once. */
export async function loadCompiled(dir: string): Promise<CompiledComponent> {
  const modules = new Map<string, WebAssembly.Module>()
  for (const name of await readdir(dir)) {
    if (name.endsWith('.wasm')) modules.set(name, await WebAssembly.compile(await readFile(join(dir, name))))
  }
  const glue = (await import(pathToFileURL(join(dir, 'component.js')).href)) as CompiledComponent
  return { instantiate: glue.instantiate, modules }
}
