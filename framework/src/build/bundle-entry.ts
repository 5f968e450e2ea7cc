// Bundles a generated entry with its handler file, the framework's guest runtime and their npm
// dependencies (viem) into the one ES module that jco componentizes, with the runtime's guest
// prelude (TextEncoder/Decoder, deterministic Date and Math.random) in front.
//
// Reproducible: esbuild names every bundled module in a comment relative to its working
// directory, so the working directory is the project root and the entry is fed through stdin
// under a fixed name. The same sources give the same code hash whatever the cwd or --out is.
import { isAbsolute, sep } from 'node:path'
import { BuildError } from '@nexus/runtime'
import { bundleGuestSource } from '@nexus/runtime/build'
import { guestPrelude, sourceConditions } from '@nexus/runtime/build'

export async function bundleEntry(entry: { source: string; name: string; root: string; onInputs?: (files: string[]) => void }): Promise<string> {
  const entryName = `${entry.name}.entry.js`
  try {
    return await bundleGuestSource({
      stdin: { contents: entry.source, sourcefile: entryName, resolveDir: entry.root, loader: 'js' },
      absWorkingDir: entry.root,
      onInputs: entry.onInputs,
      mainFields: ['module', 'main'],
      // viem's root export reaches `isows`, whose Node build needs `ws` and Node built-ins.
      conditions: [...sourceConditions, 'browser', 'import', 'default'],
      banner: { js: guestPrelude },
      // Run-time errors point into the project's own files (`handlers/hello.ts:12:5`), never into
      // node_modules, the framework, the generated entry or a plugin's module (`namespace:path`),
      // and never by a host path.
      sourceNames: (source) =>
        isAbsolute(source) || source.startsWith('..') || source.includes(':') || source.split(/[\\/]/).includes('node_modules') || source === entryName
          ? undefined
          : source.split(sep).join('/'),
    })
  } catch (cause) {
    throw new BuildError(`Could not bundle function ${entry.name}.`, { cause })
  }
}
