// Content hash of a circuit: its main file and every file it includes (transitively), the compiler
// version and the flags. An unchanged circuit hashes the same on any machine, so its artifacts are reused.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { ZkBuildError } from '@nexus/protocol/zk'

const includeRe = /^\s*include\s+"([^"]+)"\s*;/gm

function resolveInclude(spec: string, fromDir: string, libraries: readonly string[]): string | undefined {
  for (const base of [fromDir, ...libraries]) {
    const candidate = resolve(base, spec)
    if (existsSync(candidate)) return candidate
  }
  return undefined
}

/** Every file the main file pulls in, main first, each once. */
export function collectSources(main: string, libraries: readonly string[]): string[] {
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const text = readFileSync(file, 'utf8').replace(/\/\/[^\n]*/g, '')
    for (const m of text.matchAll(includeRe)) {
      const spec = m[1] as string
      const found = resolveInclude(spec, dirname(file), libraries)
      if (!found) throw new ZkBuildError(`Cannot resolve include "${spec}" in ${file}.`)
      visit(found)
    }
  }
  visit(resolve(main))
  return [...seen]
}

/** sha256 (hex) over compiler identity, flags and each source's path (relative to `root`) and bytes. */
export function computeSourceHash(parameters: { main: string; libraries: readonly string[]; root: string; compiler: string; flags: readonly string[] }): {
  hash: string
  files: string[]
} {
  const files = collectSources(parameters.main, parameters.libraries)
  const h = createHash('sha256')
  h.update(`nexus.circuits.v1\0${parameters.compiler}\0${parameters.flags.join(' ')}\0`)
  const entries = files.map((f) => [relative(parameters.root, f).split('\\').join('/'), f] as const)
  // Main first, then the rest sorted, so include order does not change the hash.
  const [first, ...rest] = entries
  for (const [name, file] of [first!, ...rest.sort((a, b) => (a[0] < b[0] ? -1 : 1))]) {
    const bytes = readFileSync(file)
    h.update(`${name}\0${bytes.length}\0`)
    h.update(bytes)
  }
  return { hash: h.digest('hex'), files }
}
