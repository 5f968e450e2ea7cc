// `npm run bench [-- name...]`: runs every bench/<name>.bench-script.ts in one process, in name
// order, so all ratios are measured against baselines taken in the same run on the same machine.
import { readdirSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { dirname, join } from 'node:path'

const here = dirname(fileURLToPath(import.meta.url))
const wanted = process.argv.slice(2)
const scripts = readdirSync(here)
  .filter((f) => f.endsWith('.bench-script.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort()

for (const file of scripts) {
  console.log(`\n### ${file.replace('.bench-script.ts', '')}\n`)
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<void> }
  await mod.default()
}
