// The layering rule, checked on every run: packages import each other only by package name and a
// subpath their package.json exports, only packages they declare, and never in a cycle. The
// expected graph is written out below so that a change to the layering shows in review.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Who may import whom at run time (`dependencies`); tests may also use `devDependencies`. */
const expectedGraph = {
  '@nexus/protocol': [],
  '@nexus/framework': ['@nexus/protocol', '@nexus/runtime'],
  '@nexus/runtime': ['@nexus/protocol'],
  '@nexus/contracts': ['@nexus/protocol'],
  '@nexus/circuits': ['@nexus/protocol'],
  '@nexus/gateway': ['@nexus/circuits', '@nexus/contracts', '@nexus/protocol', '@nexus/runtime'],
  '@nexus/cli': ['@nexus/circuits', '@nexus/contracts', '@nexus/framework', '@nexus/gateway', '@nexus/protocol', '@nexus/runtime'],
  '@nexus/testkit': ['@nexus/contracts', '@nexus/framework', '@nexus/protocol'],
}

type PackageJson = {
  name: string
  exports?: Record<string, unknown>
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  workspaces?: string[]
}
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as PackageJson
const rootPackage = readJson(join(root, 'package.json'))
const packages = (rootPackage.workspaces ?? []).map((dir) => ({ dir, json: readJson(join(root, dir, 'package.json')) }))
const byName = new Map(packages.map((p) => [p.json.name, p]))

const skipDirs = new Set(['node_modules', 'dist', '.nexus', 'fixtures-out'])
function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir)) {
    if (skipDirs.has(entry) || entry.startsWith('.')) continue
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path))
    // Tool configs (vitest.*.config.ts) belong to the repo, not to the package.
    else if (/\.(ts|mts|mjs|js)$/.test(entry) && !entry.endsWith('.d.ts') && !/\.config\.ts$/.test(entry)) out.push(path)
  }
  return out
}

/** Every module specifier a file names: static imports and re-exports, dynamic imports and vi.mock with a literal. */
function specifiersOf(source: string): { specifier: string; typeOnly: boolean }[] {
  // Comments may quote import lines; they are not imports.
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const found: { specifier: string; typeOnly: boolean }[] = []
  const patterns = [
    /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'"`;]*?\sfrom\s+)?['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bvi\.mock\(\s*['"]([^'"]+)['"]/g,
  ]
  for (const match of text.matchAll(patterns[0]!)) found.push({ specifier: match[3]!, typeOnly: Boolean(match[2]) })
  for (const match of text.matchAll(patterns[1]!)) found.push({ specifier: match[1]!, typeOnly: false })
  for (const match of text.matchAll(patterns[2]!)) found.push({ specifier: match[1]!, typeOnly: false })
  return found
}

const isTestFile = (file: string) =>
  /\.(test|case|bench)\.ts$|\.test-d\.ts$/.test(file) || file.split(sep).some((part) => part === 'test' || part === 'scripts')
const builtins = new Set(builtinModules)
const packageNameOf = (specifier: string) => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!)

/** Whether `subpath` ('.', './attest', './generated/X') is one of the package's declared exports (patterns with one `*`). */
function exportsSubpath(json: PackageJson, subpath: string): boolean {
  return Object.keys(json.exports ?? {}).some((key) => {
    if (!key.includes('*')) return key === subpath
    const [before, after] = key.split('*') as [string, string]
    return subpath.startsWith(before) && subpath.endsWith(after) && subpath.length > before.length + after.length - 1
  })
}

/** The problems of one file in one package, as `file: message` lines. */
function problemsOf(pkg: { dir: string; json: PackageJson }, file: string): string[] {
  const problems: string[] = []
  const rel = relative(root, file)
  const test = isTestFile(rel)
  // A peer dependency is the user's copy (framework → typescript): imported like a dependency.
  const allowed = new Set([
    ...Object.keys(pkg.json.dependencies ?? {}),
    ...Object.keys(pkg.json.peerDependencies ?? {}),
    ...(test ? Object.keys(pkg.json.devDependencies ?? {}) : []),
  ])
  for (const { specifier, typeOnly } of specifiersOf(readFileSync(file, 'utf8'))) {
    if (specifier.startsWith('.')) {
      const target = relative(join(root, pkg.dir), resolve(dirname(file), specifier))
      if (target.startsWith('..')) problems.push(`${rel}: imports '${specifier}' outside ${pkg.json.name} by relative path; import the package by name`)
      continue
    }
    if (specifier.startsWith('node:') || builtins.has(specifier) || specifier.startsWith('nexus:')) continue
    const name = packageNameOf(specifier)
    const target = byName.get(name)
    if (target) {
      const subpath = `.${specifier.slice(name.length)}`
      if (!exportsSubpath(target.json, subpath))
        problems.push(`${rel}: '${specifier}' is not an export of ${name} (declare it in ${target.dir}/package.json "exports")`)
      if (name === pkg.json.name) problems.push(`${rel}: imports its own package by name; use a relative path`)
      else if (!allowed.has(name)) problems.push(`${rel}: imports ${name}, which ${pkg.dir}/package.json does not declare`)
      continue
    }
    const rootDev = Object.keys(rootPackage.devDependencies ?? {})
    if (allowed.has(name) || ((test || typeOnly) && rootDev.includes(name))) continue
    problems.push(`${rel}: imports '${name}', which ${pkg.dir}/package.json does not declare`)
  }
  return problems
}

describe('package layering', () => {
  test('every package names the others only by name, through declared exports and dependencies', () => {
    const problems = packages.flatMap((pkg) => sourceFiles(join(root, pkg.dir)).flatMap((file) => problemsOf(pkg, file)))
    expect(problems).toEqual([])
  })

  test('scripts outside the packages (bench, examples) reach packages by name, and test helpers only under test/', () => {
    const problems: string[] = []
    for (const dir of ['bench', 'examples']) {
      for (const file of sourceFiles(join(root, dir))) {
        for (const { specifier } of specifiersOf(readFileSync(file, 'utf8'))) {
          if (!specifier.startsWith('.')) continue
          const target = relative(root, resolve(dirname(file), specifier))
          const top = target.split(sep)[0]!
          if (top === dir) continue
          // Benchmarks drive the same stacks the end-to-end tests start: a package's test/ helpers.
          if (byName.has(`@nexus/${top}`) && target.split(sep)[1] === 'test') continue
          problems.push(`${relative(root, file)}: imports '${specifier}' by relative path; import the package by name`)
        }
      }
    }
    expect(problems).toEqual([])
  })

  test('the dependency graph is the documented one, has no cycle, and nothing depends on the CLI', () => {
    const graph = Object.fromEntries(
      packages.map(({ json }) => [
        json.name,
        Object.keys(json.dependencies ?? {})
          .filter((d) => byName.has(d))
          .sort(),
      ]),
    )
    expect(graph).toEqual(expectedGraph)
    const visiting = new Set<string>()
    const done = new Set<string>()
    const visit = (name: string, path: string[]) => {
      if (done.has(name)) return
      if (visiting.has(name)) throw new Error(`package cycle: ${[...path, name].join(' → ')}`)
      visiting.add(name)
      for (const dep of graph[name] ?? []) visit(dep, [...path, name])
      visiting.delete(name)
      done.add(name)
    }
    for (const name of Object.keys(graph)) visit(name, [])
    expect(Object.entries(graph).filter(([, deps]) => deps.includes('@nexus/cli'))).toEqual([])
  })

  test('the rule sees a deep relative import', () => {
    const gateway = byName.get('@nexus/gateway')!
    const found = specifiersOf(`import { x } from '../../../runtime/src/index.ts'\nimport type { Y } from "@nexus/runtime/src/replica/replica.ts"`)
    expect(found.map((f) => f.specifier)).toEqual(['../../../runtime/src/index.ts', '@nexus/runtime/src/replica/replica.ts'])
    expect(exportsSubpath(byName.get('@nexus/runtime')!.json, './src/replica/replica.ts')).toBe(false)
    expect(relative(join(root, gateway.dir), resolve(root, 'gateway/src/server', '../../../runtime/src/index.ts')).startsWith('..')).toBe(true)
  })
})
