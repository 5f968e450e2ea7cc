// Bundles a generated entry with its handler file, the framework's guest runtime and their npm
// dependencies (viem) into the one ES module that jco componentizes, with the runtime's guest
// prelude (TextEncoder/Decoder, deterministic Date and Math.random) in front.
//
// Reproducible: esbuild names every bundled module in a comment relative to its working
// directory, so the working directory is the project root and the entry is fed through stdin
// under a fixed name. The same sources give the same code hash whatever the cwd or --out is.
import { BuildError } from '@nexus/runtime'
import { bundleGuestSource } from '@nexus/runtime/build'
import { guestPrelude, sourceConditions } from '@nexus/runtime/build'

export async function bundleEntry(entry: { source: string; name: string; root: string }): Promise<string> {
  try {
    return await bundleGuestSource({
      stdin: { contents: entry.source, sourcefile: `${entry.name}.entry.js`, resolveDir: entry.root, loader: 'js' },
      absWorkingDir: entry.root,
      mainFields: ['module', 'main'],
      // viem's root export reaches `isows`, whose Node build needs `ws` and Node built-ins.
      conditions: [...sourceConditions, 'browser', 'import', 'default'],
      banner: { js: guestPrelude },
    })
  } catch (cause) {
    throw new BuildError(`Could not bundle function ${entry.name}.`, { cause })
  }
}
