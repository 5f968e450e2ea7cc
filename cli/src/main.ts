#!/usr/bin/env node
// The `nexus` command tree. Each command body lives in `commands/<name>.ts` and exports
// `run(argv: string[]): Promise<number>` (the exit code), so tests call commands as a library.
// A command's module is imported only when that command runs: `nexus --help` loads nothing but
// this file, and `nexus verify` loads only the attestation code, not the gateway or the runtime.

// Everything a command writes (state, keys, build output) is private to its user: 0600 / 0700.
process.umask(0o077)

type CommandModule = { run(argv: string[]): Promise<number> }
type Command = {
  summary: string
  load: () => Promise<CommandModule>
  /** Imports the user's TypeScript (nexus.config.ts, handlers/): needs tsx's loader when running from dist/. */
  loadsUserTypeScript?: true
}

const commands: Record<string, Command> = {
  dev: {
    summary: 'in a project folder: run it locally (gateway + replicas on PGlite in .nexus/), redeploy on save; elsewhere: the examples/',
    load: () => import('./commands/dev.ts'),
    loadsUserTypeScript: true,
  },
  build: {
    summary: 'build handlers/ into one component + manifest (with triggers) per decorated function',
    load: () => import('./commands/build.ts'),
    loadsUserTypeScript: true,
  },
  init: { summary: 'scaffold a project: package.json, nexus.config.ts, handlers/, test/, README', load: () => import('./commands/init.ts') },
  deploy: {
    summary: 'build the project and deploy each function to a running gateway (key from a file or NEXUS_API_KEY)',
    load: () => import('./commands/deploy.ts'),
    loadsUserTypeScript: true,
  },
  test: {
    summary: "run the project's vitest tests (createTestRuntime from @nexus/framework/testing runs the real handlers)",
    load: () => import('./commands/test.ts'),
  },
  keygen: {
    summary: 'generate t-of-n threshold BLS keys (dealer, --dkg in one process, or --dkg --nats among the replica hosts): key files + network.json',
    load: () => import('./commands/keygen.ts'),
  },
  verify: { summary: 'verify an attested result (BLS or zk) against a network file', load: () => import('./commands/verify.ts') },
  replica: {
    summary: 'run one replica process (HTTP API for the gateway, or --nats: pull the log from a NATS cluster)',
    load: () => import('./commands/replica.ts'),
  },
  gateway: { summary: 'run one gateway process (HTTP API, log, scheduler) in front of running replicas', load: () => import('./commands/gateway.ts') },
  cluster: {
    summary: 'cluster up: start a 3-node NATS JetStream cluster with gateway/replica logins on this machine (Ctrl-C stops it)',
    load: () => import('./commands/cluster.ts'),
  },
  repair: { summary: "reset a diverged replica's function so the gateway re-applies it from the log", load: () => import('./commands/repair.ts') },
}

/** Run from the TypeScript source (the repository), tsx is already loaded; from dist/ it is registered on demand. */
async function enableUserTypeScript(): Promise<void> {
  if (import.meta.url.endsWith('.ts')) return
  const { register } = await import('tsx/esm/api')
  register()
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h') {
    console.log('usage: nexus <command> [options]\n')
    for (const [cmd, { summary }] of Object.entries(commands)) console.log(`  ${cmd.padEnd(8)} ${summary}`)
    return name ? 0 : 1
  }
  const command = commands[name]
  if (!command) {
    console.error(`nexus: unknown command "${name}". Known: ${Object.keys(commands).join(', ')}`)
    return 2
  }
  if (command.loadsUserTypeScript) await enableUserTypeScript()
  const mod = await command.load()
  return mod.run(rest)
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  async (err: unknown) => {
    const { NexusError } = await import('@nexus/protocol')
    console.error(err instanceof NexusError ? err.message : err)
    process.exitCode = 1
  },
)
