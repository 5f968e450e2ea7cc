// `npm run bench -- cli`: start-up of the `nexus` command from the compiled packages (dist/, what
// an installed user runs), as ratios against `node -e 0` measured in the same run, alternating.
// `nexus --help` loads only the command table; `nexus verify` loads only the attestation code.
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { writeSignedResult } from '@nexus/testkit/signed-result'

const exec = promisify(execFile)
const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const main = join(repoRoot, 'cli/dist/main.js')
const runs = 15

/** Wall time of one plain-Node process (no tsx, no source condition), ms. */
async function timed(args: string[]): Promise<number> {
  const start = performance.now()
  await exec(process.execPath, args, { env: { ...process.env, NODE_OPTIONS: '' } })
  return performance.now() - start
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export default async function bench(): Promise<void> {
  console.log('building dist/ (tsc -b) …')
  await exec(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'], { cwd: repoRoot })
  const dir = await mkdtemp(join(tmpdir(), 'nexus-cli-bench-'))
  try {
    const keys = join(dir, 'keys')
    await exec(process.execPath, [main, 'keygen', '--t', '2', '--n', '3', '--out', keys, '--seed', 'bench'], { env: { ...process.env, NODE_OPTIONS: '' } })
    const resultFile = join(dir, 'result.json')
    await writeSignedResult({ keysDir: keys, file: resultFile, signers: [1, 2], functionId: 'bench' })

    const rows: Record<string, number[]> = { 'node -e 0': [], 'nexus --help': [], 'nexus verify': [] }
    for (let k = 0; k < runs + 2; k++) {
      const base = await timed(['-e', '0'])
      const help = await timed([main, '--help'])
      const verify = await timed([main, 'verify', resultFile, '--network', join(keys, 'network.json')])
      if (k < 2) continue // warm-up: disk cache
      rows['node -e 0']!.push(base)
      rows['nexus --help']!.push(help)
      rows['nexus verify']!.push(verify)
    }
    const baseline = median(rows['node -e 0']!)
    console.log(`| command (plain Node, dist/) | median ms (${runs} runs) | × node -e 0 |`)
    console.log('|---|---:|---:|')
    for (const [name, xs] of Object.entries(rows)) console.log(`| ${name} | ${median(xs).toFixed(0)} | ${(median(xs) / baseline).toFixed(2)} |`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
