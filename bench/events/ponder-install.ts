// The pinned Ponder the events bench compares against, installed with npm into a bench-only folder
// outside the repository (~/.cache/nexus-bench/ponder-<version>/, reused when already there). It
// is no dependency of any package of ours and never touches the root lockfile. 0.16.10: 0.17
// needs Node ≥ 22 (this machine runs 20) and a @ponder/utils the registry here does not serve.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

export const PONDER_VERSION = '0.16.10'
/** Ponder and the peer dependencies its docs ask a project to install, at exact versions. */
const pinned = { ponder: PONDER_VERSION, hono: '4.13.23', viem: '2.58.8', typescript: '5.9.3' }

export const ponderHome = () => join(process.env.NEXUS_BENCH_CACHE ?? join(homedir(), '.cache', 'nexus-bench'), `ponder-${PONDER_VERSION}`)

/** The installed `ponder` bin script (installs first unless the pinned versions are already there). */
export async function ensurePonder(): Promise<{ home: string; bin: string; installed: boolean }> {
  const home = ponderHome()
  const bin = join(home, 'node_modules', 'ponder', 'dist', 'esm', 'bin', 'ponder.js')
  const installedVersion = async (name: string) =>
    existsSync(join(home, 'node_modules', name, 'package.json'))
      ? (JSON.parse(await readFile(join(home, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
      : undefined
  const current = await Promise.all(Object.entries(pinned).map(async ([name, version]) => (await installedVersion(name)) === version))
  if (current.every(Boolean) && existsSync(bin)) return { home, bin, installed: false }
  await mkdir(home, { recursive: true })
  await writeFile(
    join(home, 'package.json'),
    `${JSON.stringify({ name: 'nexus-bench-ponder', private: true, type: 'module', dependencies: pinned }, null, 2)}\n`,
  )
  // Its own folder and package.json: npm resolves nothing from the repository's workspaces.
  await promisify(execFile)('npm', ['install', '--no-audit', '--no-fund', '--save-exact', '--loglevel=error'], {
    cwd: home,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 1_200_000,
  })
  if (!existsSync(bin)) throw new Error(`npm install in ${home} left no ${bin}`)
  return { home, bin, installed: true }
}
