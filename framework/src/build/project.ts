// `buildProject(configPath)`: nexus.config.ts + handlers/**/*.ts → one component and manifest per
// declared function, written to `<out>/<function id>/{component.wasm,manifest.json}`.
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { manifestFor, type Manifest } from '@nexus/runtime'
import type { NexusConfig } from '../config/define.ts'
import { configDefaults, defaultThreshold } from '../config/define.ts'
import { FUNCTION_ID, type ChainSpec, type TriggerSpec } from '@nexus/protocol'
import type { CollectedFunction, CollectedZkFunction } from './collect.ts'
import { collectInChildProcess } from './collect-process.ts'
import { entrySource } from './entry.ts'
import { bundleEntry } from './bundle-entry.ts'
import { bundleRecord, reusableBundle } from './bundle-reuse.ts'
import { cachedComponent } from '@nexus/runtime/build'
import { ConfigLoadError, TriggerValidationError, TypeCheckError } from './errors.ts'
import { diagnosticsByFile, lastCheckedFiles, typecheckProject, type TypeDiagnostic } from './typecheck.ts'
import { buildCacheKey, readBuildCache, recordBundles, writeBuildCache } from './build-cache.ts'
import { chainSpecs, triggerSpec, validateConfig } from './validate.ts'
import { describeFailure, type BuildFailure } from './failure.ts'

export type BuildProjectOptions = {
  /** Output folder. Default: `.nexus/build` next to the config. */
  out?: string
  /** Handler files. Default: every `*.ts` under `handlers/` next to the config (not tests or .d.ts). */
  handlers?: string[]
  /** Validate and list functions without componentizing (fast; used by tests and `--check`). */
  checkOnly?: boolean
  /** The config, already loaded (`nexus dev` reloads it on save with `loadConfig(…, { fresh: true })`). Default: loaded from `configPath`. */
  config?: NexusConfig
  /**
   * Keep going past a handler file that does not load or a function that does not validate, bundle
   * or componentize: it becomes one of `failures` (with its source location) and the others build.
   * Default: false, the first error is thrown.
   */
  keepGoing?: boolean
  /**
   * Run the TypeScript checker on the handler files and the config first (TypeCheckError). With
   * `keepGoing`, a handler file with type errors is one failure (its functions are not built) and
   * the others build; errors in the config or a shared file still stop the whole build. Default: true.
   */
  typecheck?: boolean
  /**
   * A cache folder that outlives `out` (the user's Nexus cache: `nexus dev` passes it): components
   * by bundle (`components/`) and the build record (`builds/`, build-cache.ts) are kept there, so a
   * fresh output folder reuses them. Default: none (both only in `out`).
   */
  cacheDir?: string
  /** Progress of each function's build: `start`, then `built` with the time and whether the component was reused. */
  onProgress?: (event: BuildProgress) => void
}

export type BuildProgress =
  | { step: 'typecheck'; files: number }
  | { step: 'typechecked'; files: number; ms: number }
  | { step: 'start'; id: string }
  /** `cached`: the component came from a cache; `bundleReused`: so did its bundle (no esbuild run). */
  | { step: 'built'; id: string; ms: number; cached: boolean; bundleReused: boolean }

export type BuiltFunction = {
  /** Function id: `<project>-<handler name in kebab case>`. */
  id: string
  file: string
  handlerName: string
  triggers: TriggerSpec[]
  /** Absent with `checkOnly`. */
  manifest?: Manifest & { triggers: TriggerSpec[] }
  component?: Uint8Array
  /** Where component.wasm and manifest.json were written. */
  dir?: string
  /** True when the bundle was unchanged and the previous component was reused. */
  cached?: boolean
}

export type BuiltProject = {
  name: string
  config: NexusConfig
  chains: ChainSpec[]
  replicas: number
  threshold: number
  outDir: string
  functions: BuiltFunction[]
  /** `zk({ ... })` exports of the handler files: pass their files to the gateway's zk service. */
  zk: CollectedZkFunction[]
  /** With `keepGoing`: what failed (those functions are not in `functions`). Otherwise empty. */
  failures: BuildFailure[]
  /** No file changed since the last full build: its type check and collected functions were reused (build-cache.ts). */
  reused: boolean
}

const kebab = (s: string) =>
  s
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase()

/** Every `fresh` load imports the file anew (a new URL): the module cache would return the config as first loaded. */
let loads = 0

/**
 * Import a module that may be TypeScript. The CLI registers tsx's loader for the whole process;
 * elsewhere (a project's own vitest, which runs this package as plain Node) the native import does
 * not know `.ts`, and tsx's scoped `tsImport` loads it without touching the process's loaders.
 */
async function importTypeScript(url: string): Promise<unknown> {
  try {
    return await import(url)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err
    const { tsImport } = await import('tsx/esm/api')
    return tsImport(url, import.meta.url)
  }
}

export async function loadConfig(configPath: string, options: { fresh?: boolean } = {}): Promise<NexusConfig> {
  let mod: { default?: NexusConfig }
  try {
    const url = pathToFileURL(configPath).href
    mod = (await importTypeScript(options.fresh ? `${url}?load=${++loads}` : url)) as { default?: NexusConfig }
  } catch (cause) {
    throw new ConfigLoadError(`Could not load ${configPath}.`, { cause })
  }
  if (!mod.default) throw new ConfigLoadError(`${configPath} must \`export default defineConfig({ ... })\`.`)
  validateConfig(mod.default, configPath)
  return mod.default
}

async function handlerFiles(dir: string): Promise<string[]> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true })
  } catch {
    return []
  }
  return entries
    .filter((e) => e.isFile() && /\.(ts|js|mts|mjs)$/.test(e.name) && !/\.(test|test-d|d)\.[mc]?[tj]s$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort()
}

/** Throws TypeCheckError listing every type error of the project's files reachable from `files`. */
export async function assertTypesCheck(root: string, files: string[]): Promise<void> {
  const diagnostics = await typecheckProject(root, files)
  if (diagnostics.length > 0) throw new TypeCheckError(diagnostics)
}

/**
 * Handler files are loaded as the project's package.json says, and the Nexus packages are ES
 * modules (with top-level await): a CommonJS project cannot load them on Node 20. Said up front,
 * instead of as a transform error deep inside a Nexus package.
 */
async function assertModuleProject(root: string): Promise<void> {
  for (let dir = root; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      const type = (JSON.parse(await readFile(file, 'utf8')) as { type?: string }).type
      if (type === 'module') return
      throw new ConfigLoadError(`${file} does not say "type": "module".`, {
        metaMessages: ['Nexus projects are ES modules: add "type": "module" to it (nexus init writes it).'],
      })
    }
    if (dirname(dir) === dir)
      throw new ConfigLoadError(`No package.json in ${root} or above it.`, {
        metaMessages: ['Nexus projects are ES modules: add a package.json with "type": "module" (nexus init writes one).'],
      })
  }
}

/** Runs the type check between its two progress events. */
async function checked<T>(options: BuildProjectOptions, files: number, check: () => Promise<T>): Promise<T> {
  const started = performance.now()
  options.onProgress?.({ step: 'typecheck', files })
  const result = await check()
  options.onProgress?.({ step: 'typechecked', files, ms: performance.now() - started })
  return result
}

/**
 * Type errors as build failures, one per handler file (keepGoing: the other files still build), or
 * thrown: without keepGoing, or when one is in the config or a file no handler list names (a
 * shared module: which functions it breaks is unknown).
 */
async function typecheckFailures(root: string, configFile: string, handlers: string[], keepGoing: boolean): Promise<BuildFailure[]> {
  const diagnostics = await typecheckProject(root, [configFile, ...handlers])
  if (diagnostics.length === 0) return []
  const byFile = diagnosticsByFile(diagnostics)
  const handlerOf = new Map(handlers.map((f) => [relative(root, f).split(sep).join('/'), f]))
  if (!keepGoing || [...byFile.keys()].some((file) => !handlerOf.has(file))) throw new TypeCheckError(diagnostics)
  return [...byFile].map(([file, list]) => {
    const [first, ...more] = list as [TypeDiagnostic, ...TypeDiagnostic[]]
    const path = handlerOf.get(file)!
    // The location is the first error's; the message carries the others' with theirs.
    const message = [`error TS${first.code}: ${first.message}`, ...more.map((d) => `${d.line}:${d.column}: error TS${d.code}: ${d.message}`)].join('; ')
    return { file: path, error: new TypeCheckError(list), location: { file: path, line: first.line, column: first.column }, message }
  })
}

export async function buildProject(configPath: string, options: BuildProjectOptions = {}): Promise<BuiltProject> {
  const configFile = resolve(configPath)
  const root = dirname(configFile)
  await assertModuleProject(root)
  const handlerList = options.handlers ? options.handlers.map((f) => resolve(f)) : await handlerFiles(join(root, 'handlers'))
  // Before loading anything: a type error (a misspelt name) makes loading the config or a handler
  // fail less clearly, or not at all until run time.
  const outDir = resolve(options.out ?? join(root, '.nexus', 'build'))
  const typecheck = options.typecheck !== false
  // Nothing the type check and the collect step read changed since the last full build: reuse both.
  const cacheKey = options.checkOnly ? undefined : await buildCacheKey(configFile, handlerList)
  const cacheAt = { outDir, sharedDir: options.cacheDir }
  const reused = cacheKey ? await readBuildCache(cacheAt, cacheKey, typecheck) : undefined
  const typeFailures =
    !typecheck || reused
      ? []
      : await checked(options, handlerList.length + 1, () => typecheckFailures(root, configFile, handlerList, options.keepGoing ?? false))
  const files = handlerList.filter((f) => !typeFailures.some((t) => t.file === f))
  const config = options.config ?? (await loadConfig(configFile))
  const name = kebab(config.name ?? basename(root))
  if (handlerList.length === 0) throw new ConfigLoadError(`No handler files: put them under ${join(root, 'handlers')}/ (or pass handlers).`)

  const keepGoing = options.keepGoing ?? false
  const collectedAll = reused?.collected ?? (await collectInChildProcess(files, { keepGoing }))
  const { zk } = collectedAll
  const failures: BuildFailure[] = [
    ...typeFailures,
    ...collectedAll.failures.map((f) => ({ file: f.file, error: f.error, ...describeFailure(f.error, root, f.file) })),
  ]
  /** Record a function's failure (keepGoing) or throw it. */
  const failed = (fn: { file: string }, id: string | undefined, error: unknown) => {
    if (!keepGoing) throw error
    const e = error instanceof Error ? error : new Error(String(error))
    failures.push({ file: fn.file, id, error: e, ...describeFailure(e, root, fn.file) })
  }

  const functions: BuiltFunction[] = []
  const collected: CollectedFunction[] = []
  const ids = new Map<string, CollectedFunction>()
  for (const fn of collectedAll.functions) {
    const id = `${name}-${kebab(fn.handlerName)}`
    try {
      const triggers = fn.registrations.map((r) => triggerSpec(config, r))
      const site = fn.registrations[0]?.site
      if (!FUNCTION_ID.test(id)) throw new TriggerValidationError(`function id "${id}" (from ${fn.handlerName}) must match ${FUNCTION_ID}`, site)
      const other = ids.get(id)
      if (other)
        throw new TriggerValidationError(
          `two handlers map to the function id "${id}": ${other.file} ${other.handlerName} and ${fn.handlerName}; rename one`,
          site,
        )
      ids.set(id, fn)
      functions.push({ id, file: fn.file, handlerName: fn.handlerName, triggers })
      collected.push(fn)
    } catch (err) {
      failed(fn, id, err)
    }
  }
  const replicas = config.replicas ?? configDefaults.replicas
  const project: BuiltProject = {
    name,
    config,
    chains: chainSpecs(config),
    replicas,
    threshold: config.threshold ?? defaultThreshold(replicas),
    outDir,
    functions,
    zk,
    failures,
    reused: reused !== undefined,
  }
  if (options.checkOnly) return project

  const built: BuiltFunction[] = []
  const bundleInputs = new Set<string>()
  const bundles: Record<string, string> = {}
  for (const [i, fn] of functions.entries()) {
    const started = performance.now()
    options.onProgress?.({ step: 'start', id: fn.id })
    try {
      const dir = join(outDir, fn.id)
      await mkdir(dir, { recursive: true })
      const entry = entrySource(collected[i]!, fn.triggers)
      const request = { id: fn.id, root, entry }
      const reusedBundle = reused && (await reusableBundle(dir, request, reused.bundles[fn.id]))
      const source = reusedBundle || (await bundleEntry({ source: entry, name: fn.id, root, onInputs: (inputs) => inputs.forEach((f) => bundleInputs.add(f)) }))
      bundles[fn.id] = reusedBundle ? reused.bundles[fn.id]! : await bundleRecord(request, source)
      // One at a time: componentize is CPU-bound and the machine is shared.
      const { component, cached } = await cachedComponent(dir, source, { sharedDir: options.cacheDir && join(options.cacheDir, 'components') })
      // The component cache rewrites bundle.js only with a new component: a stale one is replaced here.
      if (reused && !reusedBundle) await writeFile(join(dir, 'bundle.js'), source)
      // The code hash covers the component bytes only, so adding triggers keeps it valid. The
      // manifest is always recomputed, so a runtime upgrade (meter, default limits) shows.
      const manifest = { ...manifestFor(fn.id, component, config.limits), triggers: fn.triggers }
      await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
      Object.assign(fn, { manifest, component, dir, cached })
      built.push(fn)
      options.onProgress?.({ step: 'built', id: fn.id, ms: performance.now() - started, cached, bundleReused: Boolean(reusedBundle) })
    } catch (err) {
      failed(fn, fn.id, err)
    }
  }
  project.functions = built
  await mkdir(outDir, { recursive: true })
  const rebundled = reused !== undefined && built.some((fn) => reused.bundles[fn.id] !== bundles[fn.id])
  if (cacheKey && rebundled && failures.length === 0) await recordBundles(cacheAt, cacheKey, bundles).catch(() => {})
  if (cacheKey && !reused && failures.length === 0)
    await writeBuildCache(cacheAt, {
      key: cacheKey,
      typechecked: typecheck,
      files: [
        configFile,
        ...handlerList,
        ...bundleInputs,
        ...(typecheck ? lastCheckedFiles(root) : []),
        join(root, 'tsconfig.json'),
        join(root, 'package.json'),
      ],
      collected: { functions: collectedAll.functions, zk, failures: [] },
      bundles,
    })
  await writeFile(
    join(outDir, 'project.json'),
    `${JSON.stringify(
      {
        name,
        replicas: project.replicas,
        threshold: project.threshold,
        chains: project.chains,
        functions: built.map((f) => ({ id: f.id, codeHash: f.manifest?.codeHash, dir: f.id, triggers: f.triggers })),
        zk: zk.map((z) => ({ name: z.exportName, circuit: z.circuit, file: relative(root, z.file) })),
      },
      null,
      2,
    )}\n`,
  )
  return project
}
