import { build, type BuildOptions } from 'esbuild'
import { guestPrelude } from './guest-prelude.ts'
import { BuildError } from './errors.ts'

/** esbuild options every guest bundle shares: one ES module for QuickJS, nothing written to disk. */
export const guestBundleOptions = {
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'neutral',
  // ES2022 lowers TC39 decorators to plain functions QuickJS runs.
  target: 'es2022',
  // WIT interfaces are resolved by the component, not by the bundler.
  external: ['nexus:function/*'],
  logLevel: 'silent',
  legalComments: 'none',
} as const satisfies BuildOptions

/** Bundle with the shared guest options (overridable) and return the one output file's text. */
export async function bundleGuestSource(options: BuildOptions): Promise<string> {
  const result = await build({ ...guestBundleOptions, ...options, write: false })
  const file = result.outputFiles[0]
  if (!file) throw new Error('esbuild produced no output')
  return file.text
}

/** Bundles a TypeScript/JavaScript handler and its dependencies into one ESM file for QuickJS. */
export async function bundleHandler(entry: string): Promise<string> {
  try {
    return await bundleGuestSource({ entryPoints: [entry], banner: { js: guestPrelude } })
  } catch (cause) {
    throw new BuildError(`Could not bundle handler ${entry}.`, { cause })
  }
}
