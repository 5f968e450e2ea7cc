// Builds a project and deploys what changed to the running `nexus dev` gateway, first at start and
// then on every save. The whole project is rebuilt each time (a helper file may be imported by
// several handlers), but only a function whose bundle changed is componentized again (the build's
// component cache) and only a function whose manifest changed is deployed: the gateway binds the
// new version from the function's next seq, nothing restarts and the function's KV and files stay.
// A function that fails to build, or a config that fails to load, is reported with its source
// location and the function keeps serving the version it has.
import { relative } from 'node:path'
import { buildProject, describeFailure, formatFailure, loadConfig, type BuildFailure, type BuildProgress, type BuiltProject } from '@nexus/framework/build'
import type { NexusConfig } from '@nexus/framework/config'
import { sharedBuildCache } from '@nexus/runtime/build'
import { DeployClient, type DeployAnswer } from '../commands/deploy-client.ts'
import { routeUrls } from '../commands/deploy.ts'
import { seconds, type Log } from './progress.ts'

export type ProjectDeployerOptions = {
  root: string
  configPath: string
  /** Build output: `<state>/build`. */
  out: string
  typecheck: boolean
  log: Log
}

type Live = { manifest: string; version: number; fromSeq: string }

/** How long a function's build may run before `building <id>…` is shown on a rebuild: only steps over a second are announced. */
const QUIET_BUILD_MS = 1000

export class ProjectDeployer {
  /** What runs now, per function id. */
  private readonly live = new Map<string, Live>()
  /** Function ids per handler file, from the last build that loaded the file. */
  private readonly idsOfFile = new Map<string, string[]>()
  private client?: DeployClient
  private stopped = false
  private running?: Promise<void>
  private pending = new Set<string>()

  constructor(
    private readonly o: ProjectDeployerOptions,
    private config: NexusConfig,
  ) {}

  /** Function ids running now. */
  get functions(): string[] {
    return [...this.live.keys()]
  }

  /** Build everything, printing each step (no gateway needed: it runs while the stack starts). */
  async buildFirst(): Promise<BuiltProject> {
    const { log } = this.o
    const began = performance.now()
    log('building the project…')
    const project = await this.build(true)
    log(
      `built ${project.functions.length} function(s)${project.failures.length ? `, ${project.failures.length} failed` : ''} (${seconds(performance.now() - began)})`,
    )
    this.report(project.failures)
    return project
  }

  /** Deploy the first build to the gateway now running; later saves deploy there too. */
  async deployFirst(project: BuiltProject, gateway: { url: string; apiKey: string }): Promise<void> {
    const { log } = this.o
    this.client = new DeployClient(gateway.url, gateway.apiKey)
    const began = performance.now()
    log(`deploying ${project.functions.length} function(s)…`)
    await this.deployChanged(project, undefined, true)
    log(`deployed (${seconds(performance.now() - began)})`)
  }

  /** Files changed on disk: rebuild and redeploy, one run at a time (changes during a run start the next). */
  onChange(files: string[]): void {
    if (this.stopped) return
    for (const f of files) this.pending.add(f)
    if (this.running) return
    const next = async () => {
      while (this.pending.size && !this.stopped) {
        const batch = [...this.pending]
        this.pending.clear()
        await this.rebuild(batch).catch((err: unknown) => this.o.log(`rebuild failed: ${err instanceof Error ? err.message : String(err)}`))
      }
      this.running = undefined
    }
    this.running = next()
  }

  private deployClient(): DeployClient {
    if (!this.client) throw new Error('ProjectDeployer: deployFirst has not run')
    return this.client
  }

  /** No more deploys (the stack is stopping); a build in progress finishes on its own. */
  stop(): void {
    this.stopped = true
  }

  private async rebuild(files: string[]): Promise<void> {
    const { log, root, configPath } = this.o
    const began = performance.now()
    log(`changed: ${files.map((f) => relative(root, f)).join(', ')}`)
    if (files.includes(configPath)) {
      try {
        const config = await loadConfig(configPath, { fresh: true })
        const restart: string[] = (['replicas', 'threshold'] as const).filter((k) => config[k] !== this.config[k])
        if (JSON.stringify(config.chains) !== JSON.stringify(this.config.chains)) restart.push('chains')
        if (restart.length) log(`${relative(root, configPath)}: ${restart.join(', ')} changed; restart nexus dev to apply (functions are rebuilt now)`)
        this.config = config
      } catch (err) {
        log(`error: ${formatFailure({ file: configPath, ...describeFailure(err, root, configPath) }, (p) => relative(root, p) || p)}`)
        log('still serving the last version of every function; fix the config and save again')
        return
      }
    }
    let project: BuiltProject
    try {
      project = await this.build(false)
    } catch (err) {
      log(`build failed: ${err instanceof Error ? err.message : String(err)}`)
      log('still serving the last version of every function')
      return
    }
    this.report(project.failures)
    if (this.stopped) return
    const deployed = await this.deployChanged(project, began, false)
    if (deployed === 0 && project.failures.length === 0) log(`no function changed (${seconds(performance.now() - began)})`)
  }

  private async build(verbose: boolean): Promise<BuiltProject> {
    const { log } = this.o
    let quiet: NodeJS.Timeout | undefined
    let shown = false
    // On a save, a step is shown only once it has taken QUIET_BUILD_MS (a cached build is silent).
    const begin = (line: string) => {
      shown = verbose
      if (verbose) log(line)
      else quiet = setTimeout(() => ((shown = true), log(line)), QUIET_BUILD_MS)
    }
    const onProgress = (e: BuildProgress) => {
      clearTimeout(quiet)
      if (e.step === 'typecheck') begin(`type-checking ${e.files} file(s)…`)
      else if (e.step === 'typechecked') {
        if (verbose || shown) log(`type-checked (${seconds(e.ms)})`)
      } else if (e.step === 'start') begin(`building ${e.id}…`)
      else if (verbose || shown || !e.cached) log(`built ${e.id} (${seconds(e.ms)}${e.cached ? ', cached' : ''})`)
    }
    try {
      const project = await buildProject(this.o.configPath, {
        config: this.config,
        out: this.o.out,
        cacheDir: await sharedBuildCache(),
        keepGoing: true,
        typecheck: this.o.typecheck,
        onProgress,
      })
      for (const fn of project.functions) this.idsOfFile.set(fn.file, [...new Set([...(this.idsOfFile.get(fn.file) ?? []), fn.id])])
      return project
    } finally {
      clearTimeout(quiet)
    }
  }

  private report(failures: BuildFailure[]): void {
    const { log, root } = this.o
    const show = (path: string) => relative(root, path) || path
    for (const f of failures) {
      const ids = f.id ? [f.id] : (this.idsOfFile.get(f.file) ?? [])
      const serving = ids.filter((id) => this.live.has(id)).map((id) => `${id} v${this.live.get(id)!.version}`)
      log(`error: ${formatFailure(f, show)}`)
      log(`  ${f.id ?? show(f.file)} not rebuilt${serving.length ? `; still serving ${serving.join(', ')}` : ''}`)
    }
  }

  /**
   * Deploy each function whose manifest differs from what runs; returns how many were deployed.
   * Times are from `since` (the save), or each deploy's own without it.
   */
  private async deployChanged(project: BuiltProject, since: number | undefined, withUrls: boolean): Promise<number> {
    const { log } = this.o
    let count = 0
    for (const fn of project.functions) {
      if (this.stopped) break
      const manifest = JSON.stringify(fn.manifest)
      const before = this.live.get(fn.id)
      if (before?.manifest === manifest) continue
      const began = since ?? performance.now()
      let answer: DeployAnswer
      try {
        answer = await this.deployClient().deploy(fn.manifest, fn.component!)
      } catch (err) {
        log(`error: deploy of ${fn.id} failed: ${err instanceof Error ? err.message : String(err)}`)
        if (before) log(`  still serving ${fn.id} v${before.version}`)
        continue
      }
      count++
      this.live.set(fn.id, { manifest, version: answer.version, fromSeq: answer.fromSeq })
      log(
        `function ${fn.id}: v${answer.version} live from seq ${answer.fromSeq} (${seconds(performance.now() - began)})${answer.created ? '' : ' (unchanged)'}`,
      )
      if (withUrls || !before) {
        const base = `${this.deployClient().gateway}/v1/functions/${fn.id}`
        log(`  invoke  POST ${base}/invoke`)
        for (const route of routeUrls(base, fn.triggers)) log(`  route   ${route}`)
        const others = fn.triggers.filter((t) => t.kind !== 'route').map((t) => t.kind)
        if (others.length) log(`  also    ${others.join(', ')} triggers`)
      }
    }
    return count
  }
}
