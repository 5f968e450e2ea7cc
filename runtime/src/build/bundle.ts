import { basename, dirname, resolve } from 'node:path'
import { build, stop, type BuildOptions, type Plugin } from 'esbuild'
import { guestPrelude } from './guest-prelude.ts'
import { BuildError } from './errors.ts'
import { guestKeccak } from './guest-keccak.ts'
import { withSourceTable } from './source-table.ts'

/**
 * The QuickJS guest bindings trap (`unreachable`) when a u64 argument is a BigInt, so
 * `fs.seek(fd, 0n)` — the type the WIT bindings declare — killed the invocation. Imports of the fs
 * interface resolve to this shim, which passes the offset on as a Number (offsets past 2^53 are
 * past any file anyway). The shim itself imports the real interface (external).
 */
const fsShim: Plugin = {
  name: 'nexus-fs-shim',
  setup(b) {
    b.onResolve({ filter: /^nexus:function\/fs(@[0-9.]+)?$/ }, (args) =>
      args.namespace === 'nexus-fs-shim' ? { path: args.path, external: true } : { path: args.path, namespace: 'nexus-fs-shim' },
    )
    b.onLoad({ filter: /.*/, namespace: 'nexus-fs-shim' }, (args) => ({
      loader: 'js',
      contents: [
        `import * as fs from ${JSON.stringify(args.path)}`,
        'export const { open, read, write, close, stat, readdir, mkdir, unlink, rename } = fs',
        "export function seek(fd, offset) { return fs.seek(fd, typeof offset === 'bigint' ? Number(offset) : offset) }",
      ].join('\n'),
    }))
  },
}

// Inside the repo (this file runs as TypeScript) the Nexus packages resolve to their source through
// the `nexus-source` export condition; installed packages resolve to their dist JavaScript.
export const sourceConditions: string[] = import.meta.url.endsWith('.ts') ? ['nexus-source'] : []

/** esbuild options every guest bundle shares: one ES module for QuickJS, nothing written to disk. */
export const guestBundleOptions = {
  conditions: sourceConditions,
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'neutral',
  // ES2022 lowers TC39 decorators to plain functions QuickJS runs.
  target: 'es2022',
  // async/await become generators driven by the prelude's Promise, whose jobs run inside the call
  // (guest-promise.ts); QuickJS's own job queue never runs in this runtime.
  supported: { 'async-await': false, 'async-generator': false, 'for-await': false, 'top-level-await': true },
  // WIT interfaces are resolved by the component, not by the bundler.
  external: ['nexus:function/*'],
  logLevel: 'silent',
  legalComments: 'none',
} as const satisfies BuildOptions

/**
 * Bundle with the shared guest options (overridable) and return the one output file's text. With
 * `sourceNames`, the bundle ends with the table that maps its lines back to the sources that
 * function keeps (source-table.ts): given esbuild's name of a source (relative to `absWorkingDir`),
 * it returns the name errors show, or undefined for sources errors should not point into.
 */
export async function bundleGuestSource(
  options: BuildOptions & { sourceNames?: (source: string) => string | undefined; onInputs?: (files: string[]) => void },
): Promise<string> {
  const { sourceNames, onInputs, ...esbuildOptions } = options
  const result = await build({
    ...guestBundleOptions,
    ...esbuildOptions,
    ...(sourceNames ? { sourcemap: 'inline', sourcesContent: false } : {}),
    ...(onInputs ? { metafile: true } : {}),
    plugins: [fsShim, guestKeccak, ...(options.plugins ?? [])],
    write: false,
  })
  const file = result.outputFiles[0]
  if (!file) throw new Error('esbuild produced no output')
  // The files read (absolute), not stdin or a plugin's virtual modules (`namespace:path`).
  if (onInputs && result.metafile) {
    const base = options.absWorkingDir ?? process.cwd()
    onInputs(
      Object.keys(result.metafile.inputs)
        .filter((f) => f !== '<stdin>' && !/^[a-z-]+:/.test(f))
        .map((f) => resolve(base, f)),
    )
  }
  return sourceNames ? withSourceTable(file.text, sourceNames) : file.text
}

/**
 * Bundles a TypeScript/JavaScript handler and its dependencies into one ESM file for QuickJS. The
 * handler's `handle` is called through the prelude's `__nexusRunHandler`, which turns what the
 * component bindings cannot lower (a thrown non-Error, a Promise, a non-bytes value) into a
 * handler error naming it instead of a trap.
 */
export async function bundleHandler(entry: string): Promise<string> {
  try {
    const contents = [
      `import * as handlerModule from ${JSON.stringify(`./${basename(entry)}`)}`,
      'export function handle(input) {',
      '  return __nexusRunHandler(() => handlerModule.handle(input))',
      '}',
    ].join('\n')
    return await bundleGuestSource({
      stdin: { contents, resolveDir: dirname(entry), sourcefile: 'nexus-entry.js', loader: 'js' },
      banner: { js: guestPrelude },
    })
  } catch (cause) {
    throw new BuildError(`Could not bundle handler ${entry}.`, { cause })
  }
}

/**
 * Ends esbuild's service process, which stays resident after a build (≈ 100 MB once it bundled the
 * examples); the next build starts it again. For a long-running process done building for now.
 */
export function releaseBundler(): Promise<void> {
  return stop()
}
