// Compile a circuit with circom2 (circom 2 compiled to WebAssembly, from npm) in a child process.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { ZkBuildError } from '@nexus/protocol/zk'

const require = createRequire(import.meta.url)

/** `circom2 <npm version>` — part of every circuit's content hash. */
export function circomVersion(): string {
  const pkg = JSON.parse(readFileSync(require.resolve('circom2/package.json'), 'utf8')) as { version: string }
  return `circom2@${pkg.version}`
}

export type CompileParameters = {
  main: string
  outDir: string
  libraries: readonly string[]
  flags: readonly string[]
}

/** Run `circom2 main --r1cs --wasm <flags> -l <lib>… -o outDir`; throws `ZkBuildError` with circom's output. */
export async function compileCircom(parameters: CompileParameters): Promise<{ log: string }> {
  const cli = require.resolve('circom2/cli.js')
  const args = [cli, parameters.main, '--r1cs', '--wasm', ...parameters.flags, '-o', parameters.outDir]
  for (const lib of parameters.libraries) args.push('-l', lib)
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout.on('data', (d: Buffer) => (log += d.toString()))
  child.stderr.on('data', (d: Buffer) => (log += d.toString()))
  const code = await new Promise<number | null>((res, rej) => {
    child.on('error', rej)
    child.on('close', res)
  })
  // circom2 prints errors in colour; strip ANSI codes so the message reads well in logs and tests.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the ANSI colour codes circom prints
  const clean = log.replace(/\x1b\[[0-9;]*m/g, '')
  if (code !== 0 || /^error\[/m.test(clean) || !/Everything went okay/.test(clean)) {
    throw new ZkBuildError(`circom failed to compile ${parameters.main}.`, { details: clean.trim().slice(-4000) })
  }
  return { log: clean }
}
