import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import type { Database } from './database.ts'

/** The replica's own migrations ship in this package; other packages (the gateway) pass their folder. */
const ownRoot = fileURLToPath(new URL('../../migrations', import.meta.url))

/**
 * A set of migrations: a name (recorded as `<name>/<file>` in `nexus_migrations`, so it must never
 * change) and, for sets that live in another package, the folder holding `<name>/*.sql`.
 */
export type MigrationSet = string | { name: string; root: string }

/** Applies `<root>/<name>/*.sql` in name order, once each, recording them in `nexus_migrations`. */
export async function migrate(db: Database, migrations: MigrationSet): Promise<void> {
  await db.execute(sql`CREATE TABLE IF NOT EXISTS nexus_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
  const set = typeof migrations === 'string' ? migrations : migrations.name
  const dir = join(typeof migrations === 'string' ? ownRoot : migrations.root, set)
  for (const name of (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort()) {
    const id = `${set}/${name}`
    const text = await readFile(join(dir, name), 'utf8')
    await db.transaction(async (tx) => {
      const done = await tx.execute(sql`SELECT 1 FROM nexus_migrations WHERE name = ${id}`)
      if (rowsOf(done).length > 0) return
      for (const statement of splitStatements(text)) {
        await tx.execute(sql.raw(statement))
      }
      await tx.execute(sql`INSERT INTO nexus_migrations (name) VALUES (${id})`)
    })
  }
}

/** drizzle-kit files mark statement ends with `--> statement-breakpoint`; hand-written ones end lines with `;`. */
function splitStatements(text: string): string[] {
  const parts = text.includes('--> statement-breakpoint') ? text.split('--> statement-breakpoint') : text.split(/;\s*$/m)
  return parts.map((s) => s.trim()).filter(Boolean)
}

/** drizzle's execute returns `{ rows }` on PGlite and an array on postgres.js. */
export function rowsOf(result: unknown): unknown[] {
  return Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? [])
}
