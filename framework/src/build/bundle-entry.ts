// Bundles a generated entry with its handler file, the framework's guest runtime and their npm
// dependencies (viem) into one ES module for QuickJS, before the runtime's build componentizes it.
// Dependencies resolve with browser conditions: viem's root export reaches `isows`, whose Node
// build needs `ws` and Node built-ins that do not exist in the component.
import { build } from 'esbuild'
import { BuildError } from '../../../runtime/src/index.ts'

export async function bundleEntry(entry: string, outfile: string): Promise<void> {
  try {
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      conditions: ['browser', 'import', 'default'],
      // ES2022 lowers TC39 decorators to plain functions QuickJS runs.
      target: 'es2022',
      external: ['nexus:function/*'],
      logLevel: 'silent',
      legalComments: 'none',
    })
  } catch (cause) {
    throw new BuildError(`Could not bundle ${entry}.`, { cause })
  }
}
