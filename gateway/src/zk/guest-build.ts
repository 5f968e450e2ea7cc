// Builds a handler file's zk declarations into a component of the nexus:function world, so the
// request → circuit-inputs mapping runs in the deterministic runtime (fuel, memory cap, fresh
// instance) instead of the gateway's Node process. Bundled once and cached by the bundle
// (runtime/src/build/component-cache.ts): an unchanged handler is not componentized again.
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedComponent } from '@nexus/runtime/build'
import { bundleGuestSource } from '@nexus/runtime/build'
import { guestPrelude } from '@nexus/runtime/build'
import { manifestFor, type Artifact, type Limits } from '@nexus/runtime'
import { ZkGuestBuildError } from './errors.ts'
import { guestEntrySource } from './guest-entry.ts'
import { zkGuestModule } from '@nexus/protocol/zk'

/** The guest-safe part of `@nexus/framework/zk` (no snarkjs, viem or node: built-ins). */
const guestFramework = zkGuestModule

export type BuildZkGuestParameters = {
  /** The handler file that exports `zk(...)` declarations. */
  handlerPath: string
  /** Where built components are cached. */
  cacheDir: string
  limits?: Partial<Limits>
}

/** Bundle the generated entry with the handler, `@nexus/framework/zk` (and the protocol's `./zk` it re-exports) pointed at its guest-safe part. */
export async function bundleZkGuest(handlerPath: string): Promise<string> {
  const absolute = resolve(handlerPath)
  try {
    const text = await bundleGuestSource({
      stdin: { contents: guestEntrySource(absolute), resolveDir: dirname(absolute), sourcefile: 'nexus-zk-entry.js', loader: 'js' },
      banner: { js: guestPrelude },
      plugins: [
        {
          name: 'nexus-zk-guest',
          setup(b) {
            b.onResolve({ filter: /^@nexus\/(framework|protocol)\/zk$/ }, () => ({ path: guestFramework }))
          },
        },
      ],
    })
    // esbuild names source files in comments; drop them so the bytes do not depend on where the repo lives.
    return text.replace(/^\s*\/\/ .*\.(ts|js|mjs)$/gm, '')
  } catch (cause) {
    throw new ZkGuestBuildError(`Could not bundle the zk declarations of ${handlerPath} for the runtime.`, { cause })
  }
}

/** Handler file → zk input component + manifest (cached by content). */
export async function buildZkGuest(p: BuildZkGuestParameters): Promise<Artifact & { cached: boolean }> {
  const name = `zk-${basename(p.handlerPath)
    .replace(/\.[^.]*$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '-')}`.slice(0, 63)
  const source = await bundleZkGuest(p.handlerPath)
  try {
    const { component, cached } = await cachedComponent(join(p.cacheDir, name), source)
    return { component, manifest: manifestFor(name, component, p.limits), cached }
  } catch (cause) {
    throw new ZkGuestBuildError(`Could not build the zk declarations of ${p.handlerPath} into a component.`, { cause })
  }
}
