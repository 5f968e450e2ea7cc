// The world half of the deploy check (check-component.ts), run in the compile worker with jco.
import { componentEmbed, componentNew, componentWit } from '@bytecodealliance/jco'
import { importedInterfaces, type ImportedInterfaces } from './component-imports.ts'
import { InvalidArtifactError } from './errors.ts'

type World = { imports: ImportedInterfaces; exports: string[] }

/** `export name: …;` lines of a component's WIT, as wasm-tools prints them. */
const exportLines = (wit: string) =>
  wit
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('export '))

let world: Promise<World> | undefined
/** The world itself, as a component: wasm-tools' "dummy" module imports and exports all of it. */
function worldOf(witSource: string): Promise<World> {
  world ??= (async () => {
    const dummy = await componentNew(await componentEmbed({ dummy: true, witSource, world: 'nexus:function/function' }))
    return { imports: await importedInterfaces(dummy), exports: exportLines(await componentWit(dummy)) }
  })()
  world.catch(() => (world = undefined))
  return world
}

/**
 * Throws InvalidArtifactError unless `component` imports only the world's interfaces, with the
 * world's types, and exports what the world requires. `witSource` is the world's WIT (this runs in
 * the compile worker, whose bundle has no path to the WIT folder).
 */
export async function checkWorld(component: Uint8Array, witSource: string): Promise<void> {
  const want = await worldOf(witSource)
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
    wit = await componentWit(component)
  } catch (cause) {
    throw new InvalidArtifactError('component: its interface could not be decoded.', { cause })
  }
  const exported = new Set(exportLines(wit))
  for (const line of want.exports) if (!exported.has(line)) throw new InvalidArtifactError(`component: must ${line.replace(/;$/, '')} (the world's export).`)
}
