#!/usr/bin/env node
// The `nexus` command tree. Each command body lives in `commands/<name>.ts` and exports
// `run(argv: string[]): Promise<number>` (the exit code), so tests call commands as a library.
import { NexusError } from '@nexus/protocol'

// Everything a command writes (state, keys, build output) is private to its user: 0600 / 0700.
process.umask(0o077)

type CommandModule = { run(argv: string[]): Promise<number>; summary: string }

const commands: Record<string, () => Promise<CommandModule>> = {
  dev: () => import('./commands/dev.ts'),
  build: () => import('./commands/build.ts'),
  keygen: () => import('./commands/keygen.ts'),
  verify: () => import('./commands/verify.ts'),
  replica: () => import('./commands/replica.ts'),
  repair: () => import('./commands/repair.ts'),
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h') {
    console.log('usage: nexus <command> [options]\n')
    for (const [cmd, load] of Object.entries(commands)) {
      const summary = await load().then((m) => m.summary, () => '(unavailable)')
      console.log(`  ${cmd.padEnd(8)} ${summary}`)
    }
    return name ? 0 : 1
  }
  const load = commands[name]
  if (!load) {
    console.error(`nexus: unknown command "${name}". Known: ${Object.keys(commands).join(', ')}`)
    return 2
  }
  const mod = await load()
  return mod.run(rest)
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (err: unknown) => {
    console.error(err instanceof NexusError ? err.message : err)
    process.exitCode = 1
  },
)
