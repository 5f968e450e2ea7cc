// examples/token built with the real `nexus build` pipeline (buildProject), into the bench cache
// so its components are reused across runs and bench invocations. The bench deploys only the
// `balances` function: the @onEvent Transfer handler keeping balances in KV.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildProject } from '@nexus/framework/build'
import { checkComponent } from '@nexus/runtime/build'
import { repoRoot } from '@nexus/cli/dev'
import type { Address } from 'viem'

export type TokenFunction = { id: string; token: Address; artifact: { manifest: Record<string, unknown>; component: string } }

export async function buildTokenBalances(cacheDir: string): Promise<TokenFunction> {
  const project = await buildProject(join(repoRoot, 'examples/token/nexus.config.ts'), { out: join(cacheDir, 'token-build'), typecheck: false })
  const fn = project.functions.find((f) => f.id.endsWith('-balances'))
  if (!fn?.manifest || !fn.component) throw new Error(`examples/token built no balances function (${project.functions.map((f) => f.id).join(', ')})`)
  const token = project.config.contracts?.Token?.address as Address
  return {
    id: fn.id,
    token,
    artifact: { manifest: fn.manifest as unknown as Record<string, unknown>, component: Buffer.from(fn.component).toString('base64') },
  }
}

/**
 * Meters the QuickJS engine into this user's Nexus cache if it is not there yet (the folder of
 * metered modules every compile cache shares, runtime/src/build/metered-modules.ts), by checking
 * the function into a throwaway compile cache. Each run's stack still starts with an empty compile
 * cache, so its deploy compiles the function; it finds the engine metered, as any deploy on a
 * machine where Nexus has deployed before does (`npm start` deploys the examples at its first start).
 */
export async function keepEngineMetered(fn: TokenFunction): Promise<void> {
  const limits = fn.artifact.manifest.limits as { memoryPages: number }
  const cacheDir = await mkdtemp(join(tmpdir(), 'nexus-bench-engine-'))
  try {
    await checkComponent(Buffer.from(fn.artifact.component, 'base64'), { memoryPages: limits.memoryPages, cacheDir })
  } finally {
    await rm(cacheDir, { recursive: true, force: true })
  }
}
