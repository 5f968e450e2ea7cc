// The deploy-time check of a component against the nexus:function world, run by the gateway
// before it answers 201. A component passes when (1) every interface it imports is one of the
// world's, and every function or type it takes from it has exactly the world's type (nothing
// outside the world can be imported, not even under a world interface's name); (2) it exports
// everything the world requires with the world's types (more exports are allowed: the QuickJS
// backend adds `init`); (3) the replicas' own compile path (transpile + metering, compile.ts)
// succeeds on it at the manifest's memory cap. So a deploy that gets 201 is one that every replica
// can compile and link; a garbage body behind a valid header is a 400 naming what failed.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { witDir } from '@nexus/protocol/wit'
import { codeHashOf } from './artifact.ts'
import { compileFiles } from './compile-in-child.ts'
import { compileComponent, compiledEntryDir, entryIsValid, WORLD_CHECKED_PREFIX } from './compile.ts'
import { meteredModulesFor } from './metered-modules.ts'

let witSource: Promise<string> | undefined

/** Raise when the world check (component-world.ts) changes what it accepts: older passes no longer count. */
const WORLD_CHECK_VERSION = 1

/**
 * Throws InvalidArtifactError unless `component` targets the nexus:function world and compiles
 * the way replicas compile it. Costs about one replica compile (seconds for a QuickJS component).
 * Both halves run in the compile worker (component-world.ts, compile-files.ts): jco, ≈ 100 MB
 * resident once imported, never loads into the gateway's process.
 * `cacheDir`: also keep the compile there, as the replicas sharing that folder would have compiled it.
 * @example await checkComponent(bytes, { memoryPages: manifest.limits.memoryPages })
 */
export async function checkComponent(component: Uint8Array, options: { memoryPages: number; cacheDir?: string }): Promise<void> {
  witSource ??= readFile(join(witDir, 'nexus.wit'), 'utf8')
  const wit = await witSource
  // A pass is recorded in the compile's cache entry, for this world and check: the same code
  // checked by an earlier stack of this user (a fresh state folder, the cache kept) is not compiled
  // again just to be checked. Only this user's processes can write the cache folder (cache-dir.ts).
  const passed = `${WORLD_CHECKED_PREFIX}${createHash('sha256').update(`${WORLD_CHECK_VERSION}\0${wit}`).digest('hex').slice(0, 32)}`
  if (options.cacheDir) {
    const dir = compiledEntryDir(options.cacheDir, codeHashOf(component), options.memoryPages)
    if (existsSync(join(dir, passed)) && (await entryIsValid(dir, codeHashOf(component)))) return
  }
  const moduleCache = options.cacheDir === undefined ? undefined : await meteredModulesFor(options.cacheDir)
  const compiled = await compileFiles(component, options.memoryPages, { checkWorld: wit, moduleCache })
  // With the replicas' compile cache (one machine, `nexus dev`): the entry they load is this very
  // compile, so a new function's first call does not wait for one.
  if (options.cacheDir) {
    const { dir } = await compileComponent(component, { cacheDir: options.cacheDir, memoryPages: options.memoryPages, compiled })
    await writeFile(join(dir, passed), '')
  }
}
