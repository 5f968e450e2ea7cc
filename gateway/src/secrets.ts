// Where the gateway's deployer API keys come from: a file (`--api-key-file`, one key per line) or
// the environment (NEXUS_API_KEYS, comma-separated) — never the command line, which every user of
// the machine can read in `ps` and /proc/<pid>/cmdline.
import { readFile } from 'node:fs/promises'
import { NexusError } from '@nexus/protocol'

export class SecretOnCommandLineError extends NexusError {
  override name = 'SecretOnCommandLineError'
  override code = 'NEXUS_SECRET_ON_COMMAND_LINE'
  constructor(flag: string, alternatives: string) {
    super(`${flag} is no longer accepted: a secret on the command line is visible to every user in \`ps\`. Use ${alternatives} instead.`)
  }
}

/** Deployer keys: from each file (one per line, blank lines and `#` comments skipped) and from `NEXUS_API_KEYS`. */
export function readApiKeys(files: string[], env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  return readKeys(files, 'NEXUS_API_KEYS', env)
}

/** Admin keys (may repoint any function): from `--admin-key-file` files and `NEXUS_ADMIN_KEYS`. */
export function readAdminKeys(files: string[], env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  return readKeys(files, 'NEXUS_ADMIN_KEYS', env)
}

async function readKeys(files: string[], envName: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const keys: string[] = []
  for (const file of files)
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      const key = line.trim()
      if (key && !key.startsWith('#')) keys.push(key)
    }
  for (const key of (env[envName] ?? '').split(',')) if (key.trim()) keys.push(key.trim())
  return keys
}
