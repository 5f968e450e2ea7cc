// `nexus deploy [--gateway URL] [--api-key-file F] [--dir project] [--config nexus.config.ts] [--no-typecheck]`:
// builds the project (`buildProject`, as `nexus build`) and deploys each function to a running
// gateway. Idempotent by code hash: the build reuses a component whose bundle did not change, and
// the gateway answers 200 for code a function already runs, shown as "unchanged". The deployer key
// comes from --api-key-file, NEXUS_API_KEY or, next to `nexus dev`, .nexus/deploy-api-key; never
// from the command line (every user of the machine can read argv in `ps`).
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { buildProject, ConfigLoadError } from '@nexus/framework/build'
import { NexusError, type TriggerSpec } from '@nexus/protocol'
import { printBuildProgress } from './build-progress.ts'
import { DeployClient, type DeployAnswer } from './deploy-client.ts'

const usage =
  'usage: nexus deploy [--gateway http://127.0.0.1:8787] [--api-key-file <file>] [--dir <project>] [--config nexus.config.ts] [--no-typecheck]\n' +
  '  the key: --api-key-file <file>, else NEXUS_API_KEY, else <project>/.nexus/deploy-api-key (written by nexus dev)'

export class DeployKeyError extends NexusError {
  override name = 'DeployKeyError'
  override code = 'NEXUS_DEPLOY_KEY'
}

export type DeployOptions = {
  gateway: string
  /** The deployer key itself (read by `readDeployKey`). */
  apiKey: string
  /** Project folder (holds nexus.config.ts). */
  dir: string
  /** Config file, relative to `dir`. Default: nexus.config.ts. */
  config?: string
  /** Progress lines. Default: none. */
  log?: (line: string) => void
  /** Type-check the project before building (`--no-typecheck` turns it off). Default: true. */
  typecheck?: boolean
}

export type DeployedFunction = DeployAnswer & {
  /** `POST` here to invoke the function with a body. */
  invokeUrl: string
  /** `@onHttp` routes as `<METHOD> <url>`. */
  routes: string[]
}

/** The key from a file (first line that is not blank or a `#` comment), NEXUS_API_KEY, or nexus dev's key file. */
export async function readDeployKey(p: { file?: string; projectDir: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  const env = p.env ?? process.env
  const fromFile = async (file: string) => {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (cause) {
      throw new DeployKeyError(`Cannot read the API key file ${file}.`, { cause })
    }
    const key = text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l && !l.startsWith('#'))
    if (!key) throw new DeployKeyError(`The API key file ${file} holds no key.`)
    return key
  }
  if (p.file) return fromFile(resolve(p.file))
  if (env.NEXUS_API_KEY?.trim()) return env.NEXUS_API_KEY.trim()
  const devKey = join(p.projectDir, '.nexus', 'deploy-api-key')
  if (existsSync(devKey)) return fromFile(devKey)
  throw new DeployKeyError('No deployer API key.', {
    metaMessages: ['Pass --api-key-file <file> or set NEXUS_API_KEY (a key on the command line would be visible to every user in `ps`).'],
  })
}

/** `@onHttp` routes of a function at `base` (`<gateway>/v1/functions/<id>`) as `<METHOD> <url>`. */
export const routeUrls = (base: string, triggers: TriggerSpec[]) =>
  triggers.flatMap((t) => (t.kind === 'route' ? [`${t.method} ${base}/http${t.path.startsWith('/') ? '' : '/'}${t.path}`] : []))

/** Build the project in `dir` and deploy each of its functions; one answer per function, in build order. */
export async function deployProject(o: DeployOptions): Promise<DeployedFunction[]> {
  const log = o.log ?? (() => {})
  const client = new DeployClient(o.gateway, o.apiKey)
  const configPath = resolve(o.dir, o.config ?? 'nexus.config.ts')
  if (!existsSync(configPath))
    throw new ConfigLoadError(`No ${configPath}.`, { metaMessages: ['Run nexus deploy in a project folder (or pass --dir); `nexus init` creates one.'] })
  await client.ping()
  const project = await buildProject(configPath, { typecheck: o.typecheck, onProgress: printBuildProgress(log) })
  if (project.functions.length === 0) log(`${project.name}: no decorated handlers under handlers/, nothing to deploy`)
  const deployed: DeployedFunction[] = []
  for (const fn of project.functions) {
    const answer = await client.deploy(fn.manifest, fn.component!)
    const base = `${client.gateway}/v1/functions/${answer.id}`
    const entry = { ...answer, invokeUrl: `${base}/invoke`, routes: routeUrls(base, fn.triggers) }
    deployed.push(entry)
    const state = !answer.created ? 'unchanged' : answer.version > 1 ? 'updated' : 'new'
    log(`${answer.id.padEnd(28)} version ${answer.version} (${state})  ${answer.codeHash.slice(0, 18)}`)
    log(`  invoke  POST ${entry.invokeUrl}`)
    for (const route of entry.routes) log(`  route   ${route}`)
    const others = fn.triggers.filter((t) => t.kind !== 'route').map((t) => t.kind)
    if (others.length) log(`  also    ${others.join(', ')} triggers (run by the gateway's trigger service)`)
  }
  return deployed
}

export async function run(argv: string[]): Promise<number> {
  // Refused by name, not as an unknown option: say why and what to use instead.
  if (argv.some((a) => a === '--api-key' || a.startsWith('--api-key='))) {
    console.error(
      'nexus deploy: --api-key is not accepted: a key on the command line is visible to every user in `ps`. Use --api-key-file <file> or NEXUS_API_KEY.',
    )
    return 2
  }
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        gateway: { type: 'string', default: process.env.NEXUS_GATEWAY_URL ?? 'http://127.0.0.1:8787' },
        'api-key-file': { type: 'string' },
        dir: { type: 'string', default: '.' },
        config: { type: 'string', default: 'nexus.config.ts' },
        'no-typecheck': { type: 'boolean', default: false },
      },
      strict: true,
    }).values
  } catch (err) {
    console.error(`nexus deploy: ${(err as Error).message}\n${usage}`)
    return 2
  }
  const dir = resolve(values.dir)
  const apiKey = await readDeployKey({ file: values['api-key-file'], projectDir: dir })
  const started = performance.now()
  const deployed = await deployProject({
    gateway: values.gateway,
    apiKey,
    dir,
    config: values.config,
    log: (line) => console.log(line),
    typecheck: !values['no-typecheck'],
  })
  const changed = deployed.filter((d) => d.created).length
  console.log(
    `${deployed.length} function(s) deployed to ${values.gateway} (${changed} new or updated, ${deployed.length - changed} unchanged) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  )
  return 0
}
