// `nexus test [vitest args]`: runs the project's own vitest (resolved from the project folder, so
// the version its package.json pins) on its tests, which use `@nexus/framework/testing` to run the
// real built handlers. Without arguments it is `vitest run` (once, no watch).
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { NexusError } from '@nexus/protocol'

export class VitestMissingError extends NexusError {
  override name = 'VitestMissingError'
  override code = 'NEXUS_TEST_NO_VITEST'
  constructor(dir: string) {
    super(`nexus test: vitest is not installed in ${dir}.`, { metaMessages: ['Install it in the project: `npm i -D vitest`.'] })
  }
}

/** vitest's own commands: given first, they are passed as they are; anything else runs after `run`. */
const vitestCommands = new Set(['run', 'watch', 'dev', 'related', 'bench', 'list', 'init'])

/** The project folder: the nearest one up from `from` holding nexus.config.ts (else `from`). */
export function projectDir(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nexus.config.ts'))) return dir
    if (dirname(dir) === dir) return resolve(from)
  }
}

/** The vitest CLI script installed for `dir`. */
export function vitestBin(dir: string): string {
  const require = createRequire(join(dir, 'package.json'))
  let manifest: string
  try {
    manifest = require.resolve('vitest/package.json')
  } catch {
    throw new VitestMissingError(dir)
  }
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: string | Record<string, string> }
  const script = typeof bin === 'string' ? bin : bin?.vitest
  if (!script) throw new VitestMissingError(dir)
  return join(dirname(manifest), script)
}

/** Arguments for vitest: `run` first unless the user named a vitest command or asked to watch. */
export function vitestArgs(argv: string[]): string[] {
  if (argv[0] && vitestCommands.has(argv[0])) return argv
  if (argv.includes('--watch') || argv.includes('-w')) return argv
  return ['run', ...argv]
}

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    console.log("usage: nexus test [vitest args]   (runs the project's vitest once: `vitest run`; `nexus test watch` watches)")
    return 0
  }
  const dir = projectDir(process.cwd())
  const bin = vitestBin(dir)
  // The sandbox turns on the wasm features it needs in its own worker; the source condition is
  // passed on when this CLI runs from a Nexus checkout, so the project's @nexus imports resolve as ours do.
  const fromSource = import.meta.url.endsWith('.ts')
  const env = { ...process.env }
  if (fromSource && !env.NODE_OPTIONS?.includes('--conditions=nexus-source')) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --conditions=nexus-source`.trim()
  const child = spawn(process.execPath, ['--experimental-wasm-extended-const', bin, ...vitestArgs(argv)], { cwd: dir, env, stdio: 'inherit' })
  const forward = (signal: NodeJS.Signals) => child.kill(signal)
  process.on('SIGINT', forward)
  process.on('SIGTERM', forward)
  try {
    return await new Promise<number>((resolvePromise, reject) => {
      child.on('error', reject)
      child.on('exit', (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)))
    })
  } finally {
    process.off('SIGINT', forward)
    process.off('SIGTERM', forward)
  }
}
