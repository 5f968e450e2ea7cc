// examples/token built with the real `nexus build` pipeline (buildProject), into the bench cache
// so its components are reused across runs and bench invocations. The bench deploys only the
// `balances` function: the @onEvent Transfer handler keeping balances in KV.
import { join } from 'node:path'
import { buildProject } from '@nexus/framework/build'
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
