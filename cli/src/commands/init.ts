// `nexus init [dir] [--name <project>] [--from <packs dir>] [--force]`: scaffolds a project that
// `nexus dev`, `nexus build`, `nexus deploy` and `nexus test` take as it is: package.json,
// nexus.config.ts (HTTP only, with a commented devnet token block), handlers/hello.ts (@onHttp),
// handlers/transfers.ts (@onEvent, commented out), a test of each under test/, tsconfig.json,
// .gitignore and a README with the next commands. The
// templates are files under cli/templates/project/ (shipped in the package), `.tmpl` so neither
// tsc nor npm pack treats them as the CLI's own sources (npm drops files named .gitignore).
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { NexusError } from '@nexus/protocol'

const usage = 'usage: nexus init [dir] [--name <project>] [--from <packs dir>] [--force]'

/** The same from cli/src/commands and cli/dist/commands. */
const templatesDir = fileURLToPath(new URL('../../templates/project/', import.meta.url))
const cliPackageJson = fileURLToPath(new URL('../../package.json', import.meta.url))

/** Versions the generated project pins for its tools: the ones this repository is tested with. */
const toolVersions = { typescript: '~5.9.3', vitest: '~3.2.4', viem: '2.57.1' }
/** What `npm run pack` (scripts/pack.sh) writes: nexus-<package>-<version>.tgz. */
const nexusPackages = ['framework', 'protocol', 'runtime', 'cli', 'gateway', 'contracts', 'circuits'] as const
/** Needed when the functions run (framework and what it imports); the rest is tooling. */
const runtimePackages = new Set(['framework', 'protocol', 'runtime'])
/** Room for `-<handler>` after the name in a function id (protocol FUNCTION_ID: at most 63 characters). */
const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/

export class InitDirectoryNotEmptyError extends NexusError {
  override name = 'InitDirectoryNotEmptyError'
  override code = 'NEXUS_INIT_NOT_EMPTY'
  constructor(dir: string, entries: string[]) {
    const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? ', …' : '')
    super(`nexus init: ${dir} is not empty (${shown}); nothing was written.`, {
      metaMessages: ['Pick an empty or new folder, or pass --force to write the project files over what is there.'],
    })
  }
}

export class InitOptionError extends NexusError {
  override name = 'InitOptionError'
  override code = 'NEXUS_INIT_OPTION'
}

export type InitOptions = {
  /** Project name (function id prefix). Default: the folder's name in kebab case. */
  name?: string
  /** Folder of `npm run pack` tarballs: @nexus/* dependencies become `file:` paths to them. */
  from?: string
  /** Write into a non-empty folder (the project's files are overwritten, others kept). */
  force?: boolean
}

const kebab = (s: string) =>
  s
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9_]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .toLowerCase()

async function templateFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.tmpl'))
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort()
}

/** Template path → project path: drop `.tmpl`; `gitignore` becomes `.gitignore`. */
const targetOf = (template: string) => {
  const path = template.slice(0, -'.tmpl'.length)
  return basename(path) === 'gitignore' ? join(dirname(path), '.gitignore') : path
}

/** `@nexus/<pkg>` specs: the registry version, or `file:` paths to the tarballs in `from`. */
async function nexusSpecs(from: string | undefined, version: string): Promise<Map<string, string>> {
  const specs = new Map<string, string>()
  if (!from) {
    for (const pkg of ['framework', 'cli']) specs.set(pkg, `^${version}`)
    return specs
  }
  const dir = resolve(from)
  const files = existsSync(dir) ? await readdir(dir) : []
  for (const pkg of nexusPackages) {
    // The newest version of each package when the folder holds several packs.
    const tarball = files
      .filter((f) => f.startsWith(`nexus-${pkg}-`) && f.endsWith('.tgz') && /^\d/.test(f.slice(`nexus-${pkg}-`.length)))
      .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
      .at(-1)
    if (tarball) specs.set(pkg, `file:${join(dir, tarball)}`)
  }
  for (const pkg of ['framework', 'cli'])
    if (!specs.has(pkg))
      throw new InitOptionError(`nexus init: no nexus-${pkg}-<version>.tgz in ${dir}.`, {
        metaMessages: ['Pack them in a checkout of the Nexus repository: `npm run pack -- <folder>` (docs/install.md).'],
      })
  return specs
}

function packageJson(name: string, specs: Map<string, string>): string {
  const dependencies: Record<string, string> = {}
  const devDependencies: Record<string, string> = {}
  // Every tarball is listed: npm resolves the packages' 0.1.0 dependencies on each other to the
  // tarballs given together, not to the registry.
  for (const [pkg, spec] of specs) (runtimePackages.has(pkg) ? dependencies : devDependencies)[`@nexus/${pkg}`] = spec
  dependencies.viem = toolVersions.viem
  devDependencies.typescript = toolVersions.typescript
  devDependencies.vitest = toolVersions.vitest
  const sorted = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)))
  const json = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: { dev: 'nexus dev', build: 'nexus build', deploy: 'nexus deploy', typecheck: 'tsc --noEmit', test: 'nexus test' },
    dependencies: sorted(dependencies),
    devDependencies: sorted(devDependencies),
    // npm 11 runs a dependency's install script only when allowed: these two fetch or check their
    // platform binary (esbuild's bundler, the devnet's anvil); without it npm warns on every install.
    allowScripts: { '@foundry-rs/anvil': true, esbuild: true },
  }
  return `${JSON.stringify(json, null, 2)}\n`
}

/** Scaffold a project in `dir`. Returns the files written (paths relative to `dir`). Nothing is written when it throws. */
export async function initProject(dir: string, options: InitOptions = {}): Promise<string[]> {
  const root = resolve(dir)
  const name = options.name ?? kebab(basename(root))
  if (!PROJECT_NAME.test(name))
    throw new InitOptionError(`nexus init: "${name}" cannot name a project (function ids are <name>-<handler>).`, {
      metaMessages: ['Pass --name with lowercase letters, digits, - and _, at most 40 characters, starting with a letter or digit.'],
    })
  if (existsSync(root) && !options.force) {
    const entries = await readdir(root)
    if (entries.length > 0) throw new InitDirectoryNotEmptyError(root, entries.sort())
  }
  const { version } = JSON.parse(await readFile(cliPackageJson, 'utf8')) as { version: string }
  const specs = await nexusSpecs(options.from, version)

  // Everything is rendered before the first write, so a missing template writes nothing.
  const files = new Map<string, string>([['package.json', packageJson(name, specs)]])
  for (const template of await templateFiles(templatesDir))
    files.set(targetOf(template), (await readFile(join(templatesDir, template), 'utf8')).replaceAll('{{name}}', name))
  // A project's sources are ordinary files (0644, folders 0755), not the private state the CLI's
  // umask (0077) is for.
  const umask = process.umask(0o022)
  try {
    for (const [path, text] of files) {
      await mkdir(dirname(join(root, path)), { recursive: true })
      await writeFile(join(root, path), text)
    }
  } finally {
    process.umask(umask)
  }
  return [...files.keys()]
}

export async function run(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      options: { name: { type: 'string' }, from: { type: 'string' }, force: { type: 'boolean', default: false } },
      allowPositionals: true,
      strict: true,
    })
    if (parsed.positionals.length > 1) throw new Error(`one folder at most, got ${parsed.positionals.length}`)
  } catch (err) {
    console.error(`nexus init: ${(err as Error).message}\n${usage}`)
    return 2
  }
  const dir = parsed.positionals[0] ?? '.'
  const { values } = parsed
  const written = await initProject(dir, { name: values.name, from: values.from, force: values.force })
  const shown = relative(process.cwd(), resolve(dir)) || '.'
  console.log(`created ${written.length} files in ${shown}:`)
  for (const file of written) console.log(`  ${file}`)
  const cd = shown === '.' ? '' : `cd ${shown} && `
  console.log(
    `
Next:
  ${cd}npm install
  npm test            (nexus test: the handlers' tests)
  npx nexus dev       (builds, deploys, and redeploys on every save)
README.md shows how to call the hello handler and verify its signed result.`,
  )
  return 0
}
