// What lets an unchanged project skip the slow half of a build on the next start: the type check
// (a TypeScript program over the project and viem's declarations) and the collect step (a child
// process that imports every handler file). Both depend only on files, so `<out>/build-cache.json`
// records every file they and the bundles read, with its content hash; when all still hash the
// same, the collected functions are taken from the record. Bundling and the component cache still
// run (they are cheap when nothing changed), so what is deployed is always built from the files.
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Collected } from './collect-process.ts'
import { collectedReplacer, collectedReviver } from './collect-process.ts'

const CACHE_FILE = 'build-cache.json'
const FORMAT = 1

type CacheRecord = {
  format: number
  /** What else decides the result: handler list, config file, framework and TypeScript versions. */
  key: string
  /** The type check ran and passed when this was written. */
  typechecked: boolean
  /** sha256 of every file read, by absolute path. */
  inputs: Record<string, string>
  collected: Collected
}

const hashFile = (file: string) =>
  readFile(file).then(
    (bytes) => createHash('sha256').update(bytes).digest('hex'),
    () => 'missing',
  )

const versionIn = (file: string | URL): Promise<string> =>
  readFile(file, 'utf8').then(
    (text) => (JSON.parse(text) as { version?: string }).version ?? 'unknown',
    () => 'none',
  )

/** The framework's own package.json (this file is src/build/ or dist/build/; its `exports` do not list package.json). */
const frameworkVersion = () => versionIn(new URL('../../package.json', import.meta.url))

/** TypeScript's version, or 'none' without it (an unchecked build). */
const typescriptVersion = () => {
  try {
    return versionIn(createRequire(import.meta.url).resolve('typescript/package.json'))
  } catch {
    return Promise.resolve('none')
  }
}

/** The part of the cache key that is not a file: which files are the handlers, and the toolchain. */
export async function buildCacheKey(configFile: string, handlers: string[]): Promise<string> {
  const [framework, typescript] = await Promise.all([frameworkVersion(), typescriptVersion()])
  return JSON.stringify({ configFile, handlers, framework, typescript })
}

/** The collected functions of the last build, if it had this key and none of its files changed since. */
export async function readBuildCache(outDir: string, key: string, needTypecheck: boolean): Promise<Collected | undefined> {
  let record: CacheRecord
  try {
    record = JSON.parse(await readFile(join(outDir, CACHE_FILE), 'utf8'), collectedReviver) as CacheRecord
  } catch {
    return undefined
  }
  if (record.format !== FORMAT || record.key !== key || (needTypecheck && !record.typechecked)) return undefined
  const files = Object.entries(record.inputs)
  const hashes = await Promise.all(files.map(([file]) => hashFile(file)))
  return files.every(([, hash], i) => hashes[i] === hash) ? record.collected : undefined
}

/** Record a build that succeeded in full (a build with failures is never reused). */
export async function writeBuildCache(outDir: string, p: { key: string; typechecked: boolean; files: Iterable<string>; collected: Collected }): Promise<void> {
  const list = [...new Set(p.files)].sort()
  const hashes = await Promise.all(list.map(hashFile))
  const record: CacheRecord = {
    format: FORMAT,
    key: p.key,
    typechecked: p.typechecked,
    inputs: Object.fromEntries(list.map((f, i) => [f, hashes[i]!])),
    collected: p.collected,
  }
  const file = join(outDir, CACHE_FILE)
  const tmp = `${file}.tmp-${process.pid}`
  await writeFile(tmp, JSON.stringify(record, collectedReplacer))
  await rename(tmp, file)
}
