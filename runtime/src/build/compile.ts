import { existsSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { transpile } from '@bytecodealliance/jco'
import { meterModule, METER_VERSION } from './meter.ts'
import { InvalidArtifactError } from './errors.ts'
import { codeHashOf } from './artifact.ts'

export type CompileOptions = { cacheDir: string; memoryPages: number }

/**
 * Transpiles a component into JS glue + core modules, meters every core module, and caches the
 * result under `<cacheDir>/<codeHash>-<memoryPages>/`. Done once per code hash: every
 * replica derives the same metered modules from the same component bytes, because jco and
 * binaryen are pinned by the lockfile and the metering scheme is versioned (METER_VERSION).
 */
export async function compileComponent(component: Uint8Array, options: CompileOptions): Promise<{ dir: string; codeHash: string }> {
  const codeHash = codeHashOf(component)
  const dir = join(options.cacheDir, `${codeHash.slice(2)}-${METER_VERSION}-${options.memoryPages}`)
  if (existsSync(join(dir, 'READY')) && existsSync(join(dir, 'package.json'))) return { dir, codeHash }
  const files = await compileFiles(component, options.memoryPages)
  // Write to a temporary folder and rename: a crash mid-way never leaves a half-compiled cache entry.
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`
  await mkdir(tmp, { recursive: true })
  try {
    for (const [name, bytes] of Object.entries(files)) await writeFile(join(tmp, name), bytes)
    // jco's glue (component.js) is an ES module: say so here, whatever package.json is above the
    // replica's data folder (a user's project may be CommonJS).
    await writeFile(join(tmp, 'package.json'), '{ "type": "module" }\n')
    await writeFile(join(tmp, 'READY'), codeHash)
    await rm(dir, { recursive: true, force: true })
    await rename(tmp, dir)
  } catch (err) {
    await rm(tmp, { recursive: true, force: true })
    throw err
  }
  return { dir, codeHash }
}

/**
 * The compile step itself, in memory: transpile, then meter every core module. The gateway runs
 * this on a deploy (runtime/src/build/check-component.ts) so that what it accepts is what every
 * replica will compile.
 */
export async function compileFiles(component: Uint8Array, memoryPages: number): Promise<Record<string, Uint8Array>> {
  let files: Record<string, Uint8Array>
  try {
    ;({ files } = await transpile(component, { name: 'component', instantiation: 'sync', noTypescript: true }))
  } catch (cause) {
    throw new InvalidArtifactError('The artifact is not a valid component of the nexus:function world.', { cause })
  }
  const out: Record<string, Uint8Array> = {}
  for (const [name, bytes] of Object.entries(files)) {
    if (name.includes('/')) continue // interface typings
    try {
      out[name] = name.endsWith('.wasm') ? meterModule(bytes, { maxPages: memoryPages }) : bytes
    } catch (cause) {
      throw new InvalidArtifactError(`The artifact's core module ${name} cannot be metered.`, { cause })
    }
  }
  return out
}
