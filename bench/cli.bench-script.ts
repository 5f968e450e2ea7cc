// `npm run bench -- cli`: start-up of the `nexus` command from the compiled packages (dist/, what
// an installed user runs), as ratios against `node -e 0` measured in the same run, alternating.
// `nexus --help` loads only the command table; `nexus verify` loads only the attestation code.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { keccak256, toBytes, type Hex } from 'viem'
import { combineShares, createAttestedResult, parseNetwork, resultDigest, signShare, type ShareKey } from '@nexus/protocol/attest'

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
    const network = parseNetwork(JSON.parse(await readFile(join(keys, 'network.json'), 'utf8')))
    const shares = await Promise.all([1, 2].map(async (i) => JSON.parse(await readFile(join(keys, `replica-${i}.key.json`), 'utf8')) as ShareKey))
    const output: Hex = '0x2a'
    const fields = {
      chainId: 31337n,
      verifier: '0x0000000000000000000000000000000000000000',
      functionId: 'bench',
      codeHash: keccak256(toBytes('c')),
      seq: 1n,
      inputHash: keccak256(toBytes('i')),
      status: 0,
      outputHash: keccak256(output),
      stateRootBefore: keccak256(toBytes('a')),
      stateRootAfter: keccak256(toBytes('b')),
      fuelUsed: 1n,
    } as const
    const digest = resultDigest(fields)
    const { signature, signers } = combineShares(
      digest,
      shares.map((k) => signShare(digest, k)),
      network,
    )
    const resultFile = join(dir, 'result.json')
    await writeFile(resultFile, JSON.stringify(createAttestedResult({ fields, output, signature, signers, groupPublicKey: network.groupPublicKey })))

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
