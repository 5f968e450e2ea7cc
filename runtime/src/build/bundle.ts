import { build } from 'esbuild'
import { guestPrelude } from './guest-prelude.ts'
import { BuildError } from './errors.ts'

/** Bundles a TypeScript/JavaScript handler and its dependencies into one ESM file for QuickJS. */
export async function bundleHandler(entry: string): Promise<string> {
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      // WIT interfaces are resolved by the component, not by the bundler.
      external: ['nexus:function/*'],
      banner: { js: guestPrelude },
      logLevel: 'silent',
      legalComments: 'none',
    })
    const file = result.outputFiles[0]
    if (!file) throw new Error('esbuild produced no output')
    return file.text
  } catch (cause) {
    throw new BuildError(`Could not bundle handler ${entry}.`, { cause })
  }
}
