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
import { compileFiles } from './compile.ts'
import type { ImportedInterfaces } from './component-imports.ts'
import { InvalidArtifactError } from './errors.ts'
import { witDir } from '@nexus/protocol/wit'

type World = { imports: ImportedInterfaces; exports: string[] }

// jco (≈ 100 MB resident once imported) loads on the first deploy check, not when the gateway starts.
const jco = () => import('@bytecodealliance/jco')
const importedInterfaces = async (component: Uint8Array) => (await import('./component-imports.ts')).importedInterfaces(component)

/** `export name: …;` lines of a component's WIT, as wasm-tools prints them. */
const exportLines = (wit: string) =>
  wit
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('export '))

let world: Promise<World> | undefined
/** The world itself, as a component: wasm-tools' "dummy" module imports and exports all of it. */
function worldOf(): Promise<World> {
  world ??= (async () => {
    const witSource = await readFile(join(witDir, 'nexus.wit'), 'utf8')
    const { componentEmbed, componentNew, componentWit } = await jco()
    const dummy = await componentNew(await componentEmbed({ dummy: true, witSource, world: 'nexus:function/function' }))
    return { imports: await importedInterfaces(dummy), exports: exportLines(await componentWit(dummy)) }
  })()
  world.catch(() => (world = undefined))
  return world
}

/**
 * Throws InvalidArtifactError unless `component` targets the nexus:function world and compiles
 * the way replicas compile it. Costs about one replica compile (seconds for a QuickJS component).
 * @example await checkComponent(bytes, { memoryPages: manifest.limits.memoryPages })
 */
export async function checkComponent(component: Uint8Array, options: { memoryPages: number }): Promise<void> {
  const want = await worldOf()
  const imports = await importedInterfaces(component)
  for (const [iface, items] of imports) {
    const allowed = want.imports.get(iface)
    if (!allowed)
      throw new InvalidArtifactError(
        `component: imports "${iface}", which is not in the nexus:function world (allowed: ${[...want.imports.keys()].join(', ')}).`,
      )
    for (const [item, type] of items)
      if (allowed.get(item) !== type) throw new InvalidArtifactError(`component: imports "${iface}" item "${item}" with a type the world does not give it.`)
  }
  let wit: string
  try {
    wit = await (await jco()).componentWit(component)
  } catch (cause) {
    throw new InvalidArtifactError('component: its interface could not be decoded.', { cause })
  }
  const exported = new Set(exportLines(wit))
  for (const line of want.exports) if (!exported.has(line)) throw new InvalidArtifactError(`component: must ${line.replace(/;$/, '')} (the world's export).`)
  await compileFiles(component, options.memoryPages)
}
