// The deploy-time check of a component against the nexus:function world, run by the gateway
// before it answers 201. A component passes when (1) every interface it imports is one of the
// world's, and every function or type it takes from it has exactly the world's type (nothing
// outside the world can be imported, not even under a world interface's name); (2) it exports
// everything the world requires with the world's types (more exports are allowed: the QuickJS
// backend adds `init`); (3) the replicas' own compile path (transpile + metering, compile.ts)
// succeeds on it at the manifest's memory cap. So a deploy that gets 201 is one that every replica
// can compile and link; a garbage body behind a valid header is a 400 naming what failed.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { witDir } from '@nexus/protocol/wit'
import { compileFiles } from './compile-in-worker.ts'
import { compileComponent } from './compile.ts'

let witSource: Promise<string> | undefined

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
  const compiled = await compileFiles(component, options.memoryPages, { checkWorld: await witSource })
  // With the replicas' compile cache (one machine, `nexus dev`): the entry they load is this very
  // compile, so a new function's first call does not wait for one.
  if (options.cacheDir) await compileComponent(component, { cacheDir: options.cacheDir, memoryPages: options.memoryPages, compiled })
}
