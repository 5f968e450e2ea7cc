// The compile step itself, in memory: transpile a component with jco, then meter every core module
// with binaryen. Both libraries are large (binaryen alone holds ≈ 400 MB of heap once imported), so
// the processes that compile run this in a short-lived worker thread (compile-in-worker.ts) and
// never import it themselves.
import { transpile } from '@bytecodealliance/jco'
import { meterModule } from './meter.ts'
import { meterCached } from './metered-modules.ts'
import { leanGlue } from './lean-glue.ts'

/** A compile failure that is the component's fault (the caller answers InvalidArtifactError). */
export type CompileRefusal = { refused: string; cause: string }

/**
 * The files of a compiled component (jco glue + metered core modules), or why the component is
 * refused. `moduleCache`: a folder of metered modules to take from and add to (metered-modules.ts).
 */
export async function compileFiles(
  component: Uint8Array,
  memoryPages: number,
  moduleCache?: string,
): Promise<{ files: Record<string, Uint8Array> } | CompileRefusal> {
  let files: Record<string, Uint8Array>
  try {
    ;({ files } = await transpile(component, { name: 'component', instantiation: 'sync', noTypescript: true }))
  } catch (cause) {
    return { refused: 'The artifact is not a valid component of the nexus:function world.', cause: cause instanceof Error ? cause.message : String(cause) }
  }
  const out: Record<string, Uint8Array> = {}
  for (const [name, bytes] of Object.entries(files)) {
    if (name.includes('/')) continue // interface typings
    if (name === 'component.js') {
      out[name] = new TextEncoder().encode(leanGlue(new TextDecoder().decode(bytes)).source)
      continue
    }
    try {
      out[name] = name.endsWith('.wasm') ? meterCached(bytes, memoryPages, (core) => meterModule(core, { maxPages: memoryPages }), moduleCache).bytes : bytes
    } catch (cause) {
      return { refused: `The artifact's core module ${name} cannot be metered.`, cause: cause instanceof Error ? cause.message : String(cause) }
    }
  }
  return { files: out }
}
