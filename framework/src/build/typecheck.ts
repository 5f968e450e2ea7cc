// Type-checks a project's handler files and nexus.config.ts before the build componentizes them, so
// `HttpContext` for `RequestContext`, bytes for a string or `ctx.kv.gett` fail the build with
// `file:line:col` instead of failing at run time without a line (issue 17).
//
// One `ts.createProgram` for the whole project (one shared type graph: viem's types are read once,
// not once per function). Diagnostics are reported for the project's own files only, never for
// node_modules or the framework, relative to the project root.
//
// TypeScript is a peer dependency of @nexus/framework, optional: a project has it anyway (its editor
// and `nexus build` should use the same compiler version, not a second copy pinned by us), and a
// build with `typecheck: false` does not need it. It is loaded on first use, with an error that says
// how to install it.
import { existsSync } from 'node:fs'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { sourceConditions } from '@nexus/runtime/build'
import type * as TS from 'typescript'
import { TypeScriptMissingError, type TypeDiagnostic } from './errors.ts'

export { formatDiagnostic, type TypeDiagnostic } from './errors.ts'

/** When the project has no tsconfig.json: strict, resolved the way esbuild bundles (TC39 decorators, .ts imports). */
function defaultOptions(ts: typeof TS): TS.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    customConditions: sourceConditions,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    resolveJsonModule: true,
    isolatedModules: true,
    esModuleInterop: true,
  }
}

let lastProgram: TS.Program | undefined

/**
 * Lets go of the program kept for the next check (≈ 170 MB of heap with viem's types): for a process
 * that built once and keeps running, as `nexus dev` does with the repository's examples. A watcher
 * that rebuilds on save keeps it instead.
 */
export function releaseTypecheckProgram(): void {
  lastProgram = undefined
}

let loaded: Promise<typeof TS> | undefined
function loadTypeScript(): Promise<typeof TS> {
  loaded ??= import('typescript').then(
    (m) => ((m as unknown as { default?: typeof TS }).default ?? m) as typeof TS,
    (cause) => {
      loaded = undefined
      throw new TypeScriptMissingError('nexus build type-checks handlers with TypeScript, which is not installed.', {
        cause,
        metaMessages: ['Install it in the project (`npm install --save-dev typescript`), or build with --no-typecheck.'],
      })
    },
  )
  return loaded
}

/** The project's tsconfig.json options (made no-emit), or the defaults. */
function compilerOptions(ts: typeof TS, root: string): { options: TS.CompilerOptions; configErrors: readonly TS.Diagnostic[] } {
  const tsconfig = join(root, 'tsconfig.json')
  if (!existsSync(tsconfig)) return { options: defaultOptions(ts), configErrors: [] }
  const read = ts.readConfigFile(tsconfig, ts.sys.readFile)
  if (read.error) return { options: defaultOptions(ts), configErrors: [read.error] }
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, tsconfig)
  // "No inputs were found" (18003) is about the config's `include`; we pass the files ourselves.
  const configErrors = parsed.errors.filter((d) => d.code !== 18003)
  const options = { ...parsed.options, noEmit: true, incremental: false, composite: false }
  // The checker resolves the Nexus packages the way the bundler does: to their TypeScript source when
  // the framework itself runs from source (this repository), where no dist/*.d.ts exists.
  const resolution = options.moduleResolution
  const conditionsAllowed =
    resolution === ts.ModuleResolutionKind.Node16 || resolution === ts.ModuleResolutionKind.NodeNext || resolution === ts.ModuleResolutionKind.Bundler
  if (sourceConditions.length > 0 && conditionsAllowed) options.customConditions = [...new Set([...(options.customConditions ?? []), ...sourceConditions])]
  return { options, configErrors }
}

const insideProject = (root: string, file: string) => {
  const rel = relative(root, file)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('node_modules')
}

function toDiagnostic(ts: typeof TS, root: string, d: TS.Diagnostic): TypeDiagnostic {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n')
  // Not in a file: about the compiler options, i.e. the project's tsconfig.json (or our defaults).
  if (!d.file || d.start === undefined) {
    const file = existsSync(join(root, 'tsconfig.json')) ? 'tsconfig.json' : '(compiler options)'
    return { file, line: 1, column: 1, code: d.code, message }
  }
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start)
  return { file: relative(root, d.file.fileName).split(sep).join('/'), line: line + 1, column: character + 1, code: d.code, message }
}

/**
 * Type errors (and syntax errors) in the project's own files reachable from `files`, sorted by file
 * and position. `root` is the project folder (holds nexus.config.ts and maybe tsconfig.json).
 */
export async function typecheckProject(root: string, files: string[]): Promise<TypeDiagnostic[]> {
  const ts = await loadTypeScript()
  const projectRoot = resolve(root)
  const { options, configErrors } = compilerOptions(ts, projectRoot)
  const rootNames = files.map((f) => resolve(f))
  // `nexus dev` rebuilds the project on every save: the previous program's unchanged files (viem's
  // hundreds of .d.ts, whatever the project) are reused instead of parsed again.
  const program = ts.createProgram({ rootNames, options, oldProgram: lastProgram })
  lastProgram = program
  // Only the project's own files are checked (the framework's sources, in this repo, are not
  // declaration files that skipLibCheck skips): the checker reads other files' types lazily.
  const own = program.getSourceFiles().filter((f) => insideProject(projectRoot, f.fileName))
  const found = [
    ...configErrors,
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...own.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
  ].filter((d) => d.category === ts.DiagnosticCategory.Error && (!d.file || insideProject(projectRoot, d.file.fileName)))
  const seen = new Set<string>()
  return found
    .map((d) => toDiagnostic(ts, projectRoot, d))
    .filter((d) => {
      const key = `${d.file}:${d.line}:${d.column}:${d.code}`
      return seen.has(key) ? false : (seen.add(key), true)
    })
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column))
}

/** The project's own files the last check read (type-only imports included): what its result depends on. */
export function lastCheckedFiles(root: string): string[] {
  const projectRoot = resolve(root)
  return (lastProgram?.getSourceFiles() ?? []).map((f) => resolve(f.fileName)).filter((f) => insideProject(projectRoot, f))
}

/** Diagnostics grouped by file (project-relative), e.g. to attribute them to the functions of each handler file. */
export function diagnosticsByFile(diagnostics: TypeDiagnostic[]): Map<string, TypeDiagnostic[]> {
  const byFile = new Map<string, TypeDiagnostic[]>()
  for (const d of diagnostics) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d])
  return byFile
}
