import { createHash } from 'node:crypto'
import { bundleHandler } from './bundle.ts'
import { componentizeJs } from './componentize.ts'
import { METER_VERSION } from './meter-version.ts'
import { witWorld } from '@nexus/protocol/wit'
import { defaultLimits, type Limits } from '../sandbox/limits.ts'

import type { Manifest } from '@nexus/protocol'

// The manifest's shape is the protocol's (protocol/src/manifest.ts); building one is the runtime's.
export type { Manifest }

export type Artifact = { component: Uint8Array; manifest: Manifest }

export function codeHashOf(component: Uint8Array): string {
  return `0x${createHash('sha256').update(component).digest('hex')}`
}

export function manifestFor(name: string, component: Uint8Array, limits: Partial<Limits> = {}): Manifest {
  return { name, codeHash: codeHashOf(component), world: witWorld, meter: METER_VERSION, limits: { ...defaultLimits, ...limits } }
}

/** TypeScript/JavaScript handler file → component + manifest (bundle → componentize). */
export async function buildHandler(entry: string, options: { name: string; limits?: Partial<Limits> }): Promise<Artifact> {
  const source = await bundleHandler(entry)
  const component = await componentizeJs(source)
  return { component, manifest: manifestFor(options.name, component, options.limits) }
}
