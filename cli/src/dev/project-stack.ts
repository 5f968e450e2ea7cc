// `nexus dev` in a project folder (one holding nexus.config.ts, or `--project <dir>`): the stack of
// dev/stack.ts sized by the config (`replicas`, `threshold`; --n/--t override), anvil only when a
// chain is named `devnet` (an HTTP-only project starts none), all state in the project's .nexus/
// (keys, deploy-api-key, gateway PGlite, replicas, build output). It builds and deploys the
// project's functions, prints each one's version and URLs, then watches handlers/ and the config:
// a save rebuilds and redeploys only what changed (dev/redeploy.ts), with no restart.
import { existsSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import { chainSpecs, ConfigLoadError, loadConfig } from '@nexus/framework/build'
import { configDefaults, defaultThreshold } from '@nexus/framework/config'
import { seconds } from './progress.ts'
import { ProjectDeployer } from './redeploy.ts'
import { DevLifecycle, startStack } from './stack.ts'
import { CONFIG_FILE, watchProject } from './watch.ts'

export type ProjectOptions = {
  /** The project folder. */
  root: string
  /** State folder. Default (from the command): `<root>/.nexus`. */
  dir: string
  port: number
  devnetPort: number
  /** Override the config's threshold and replicas. */
  t?: number
  n?: number
  /** False with --no-typecheck. */
  typecheck: boolean
}

export async function runProject(o: ProjectOptions): Promise<number> {
  const started = performance.now()
  const log = (line: string) => console.log(line)
  const configPath = join(o.root, CONFIG_FILE)
  if (!existsSync(configPath))
    throw new ConfigLoadError(`No ${configPath}.`, { metaMessages: ['Run nexus dev in a project folder (or pass --project <dir>); `nexus init` creates one.'] })
  const config = await loadConfig(configPath, { fresh: true })
  const n = o.n ?? config.replicas ?? configDefaults.replicas
  // A replica count from the command line takes the threshold that fits it, unless one is given too.
  const t = o.t ?? (o.n === undefined ? config.threshold : undefined) ?? defaultThreshold(n)
  const name = config.name ?? basename(o.root)
  log(`nexus dev: project ${name} in ${o.root} (${t}-of-${n}, state in ${o.dir})`)

  const life = new DevLifecycle(log)
  const deployer = new ProjectDeployer({ root: o.root, configPath, out: join(o.dir, 'build'), typecheck: o.typecheck, log }, config)
  // The project builds while the stack starts: neither needs the other until the first deploy.
  const firstBuild = deployer.buildFirst()
  firstBuild.catch(() => {}) // awaited below; must not go unhandled while the stack starts
  try {
    const chains = config.chains ? chainSpecs(config) : []
    const stack = await startStack({ dir: o.dir, port: o.port, t, n, devnetPort: o.devnetPort, chains, log }, life)
    log(`gateway   ${stack.url}`)
    const project = await firstBuild
    await deployer.deployFirst(project, { url: stack.url, apiKey: stack.apiKey })
    const watcher = watchProject(o.root, (files) => deployer.onChange(files), { log })
    life.onStop(() => {
      watcher.close()
      deployer.stop()
    })
    const example = project.functions.find((f) => f.triggers.some((tr) => tr.kind === 'route'))
    const route = example?.triggers.find((tr) => tr.kind === 'route')
    const network = join(stack.keysDir, 'network.json')
    log(`
Nexus dev: ${project.name} ready in ${seconds(performance.now() - started)} (${t}-of-${n}, state in ${o.dir})
  gateway    ${stack.url}        (API: ${stack.url}/openapi.json)
  deploy key ${stack.apiKeyFile} (what \`nexus deploy\` in this folder uses)
  network    ${network}
${
  example && route?.kind === 'route'
    ? `
Call ${example.id} and verify its signed result:
  curl -s -X ${route.method} ${stack.url}/v1/functions/${example.id}/http${route.path.startsWith('/') ? '' : '/'}${route.path} -H 'content-type: application/json' -d '{}' > answer.json
  node -e 'console.log(JSON.stringify(JSON.parse(require("fs").readFileSync("answer.json","utf8")).result))' > result.json
  npx nexus verify result.json --network ${relative(process.cwd(), network) || network}
`
    : ''
}
Watching handlers/ and ${CONFIG_FILE}: a save rebuilds and redeploys the functions that changed.
Ctrl-C to stop (state is kept for the next start).`)
    log(JSON.stringify({ event: 'ready', url: stack.url, functions: deployer.functions, failed: project.failures.map((f) => f.id ?? f.file) }))
    life.markReady()

    await life.stopSignal
    await life.shutdown()
    return 0
  } catch (err) {
    await life.shutdown()
    throw err
  } finally {
    life.dispose()
  }
}
