// The Ponder side of the events bench: a generated project indexing the token's Transfers into a
// balances table (PGlite, Ponder's default), written next to the pinned install so `ponder`
// resolves from its node_modules. Each run starts from an empty .ponder/ (no sync cache).
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Address } from 'viem'

export type PonderProject = { root: string; rpcUrl: string; token: Address; pollingIntervalMs: number }

const schema = `import { onchainTable } from "ponder";

export const balance = onchainTable("balance", (t) => ({
  address: t.hex().primaryKey(),
  amount: t.bigint().notNull(),
}));
`

// The same logic as examples/token's \`balances\` handler: mints and burns keep no zero-address row.
const indexing = `import { ponder } from "ponder:registry";
import { balance } from "ponder:schema";

const zero = "0x0000000000000000000000000000000000000000";

ponder.on("Token:Transfer", async ({ event, context }) => {
  const { from, to, value } = event.args;
  if (from !== zero)
    await context.db.insert(balance).values({ address: from, amount: -value }).onConflictDoUpdate((row) => ({ amount: row.amount - value }));
  if (to !== zero)
    await context.db.insert(balance).values({ address: to, amount: value }).onConflictDoUpdate((row) => ({ amount: row.amount + value }));
});
`

// Ponder 0.16 requires an API file; the bench queries nothing but /ready and /metrics.
const api = `import { Hono } from "hono";

export default new Hono();
`

const config = (p: PonderProject) => `import { createConfig } from "ponder";
import { erc20Abi } from "viem";

export default createConfig({
  chains: {
    anvil: { id: 31337, rpc: ${JSON.stringify(p.rpcUrl)}, pollingInterval: ${p.pollingIntervalMs}, disableCache: true },
  },
  contracts: {
    Token: { chain: "anvil", abi: erc20Abi, address: ${JSON.stringify(p.token)}, startBlock: 0 },
  },
});
`

/** Writes the project afresh (config, schema, indexing function), with no database from a previous run. */
export async function writePonderProject(p: PonderProject): Promise<void> {
  await rm(p.root, { recursive: true, force: true })
  await mkdir(join(p.root, 'src'), { recursive: true })
  await writeFile(join(p.root, 'package.json'), `${JSON.stringify({ name: 'nexus-bench-ponder-app', private: true, type: 'module' }, null, 2)}\n`)
  await writeFile(join(p.root, 'ponder.config.ts'), config(p))
  await writeFile(join(p.root, 'ponder.schema.ts'), schema)
  await writeFile(join(p.root, 'src', 'index.ts'), indexing)
  await mkdir(join(p.root, 'src', 'api'), { recursive: true })
  await writeFile(join(p.root, 'src', 'api', 'index.ts'), api)
}
