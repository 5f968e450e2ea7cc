// What lets an unchanged project skip the slow half of a build on the next start: the type check
// (a TypeScript program over the project and viem's declarations) and the collect step (a child
// process that imports every handler file). Both depend only on files, so a record lists every
// file they and the bundles read, with its content hash; when all still hash the same, the
// collected functions are taken from the record, and so are the bundles it lists when they are
// still on disk and were made by the same bundler (bundle-reuse.ts); the component cache then finds
// each component by its bundle, so what is deployed is always what the files build.
// The record is `<out>/build-cache.json`, or, given the user's Nexus cache (`nexus dev`),
// `<cache>/builds/<hash of the key>.json` there: a fresh state folder (`rm -rf .nexus`) keeps it.
import { createHash, randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
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
  /** Per function id, bundle-reuse.ts's record of the bundle this build made (absent in older records). */
  bundles?: Record<string, string>
}

/** What a reusable record gives: the collect step's result and the bundles it made. */
export type ReusedBuild = { collected: Collected; bundles: Record<string, string> }

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

/** Where the record of builds with `key` is: in the shared cache folder when there is one, else in `outDir`. */
export type BuildCacheLocation = { outDir: string; sharedDir?: string }

const recordFile = (where: BuildCacheLocation, key: string) =>
  where.sharedDir ? join(where.sharedDir, 'builds', `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`) : join(where.outDir, CACHE_FILE)

/** The collected functions of the last build, if it had this key and none of its files changed since. */
export async function readBuildCache(where: BuildCacheLocation, key: string, needTypecheck: boolean): Promise<ReusedBuild | undefined> {
  let record: CacheRecord
  try {
    record = JSON.parse(await readFile(recordFile(where, key), 'utf8'), collectedReviver) as CacheRecord
  } catch {
    return undefined
  }
  if (record.format !== FORMAT || record.key !== key || (needTypecheck && !record.typechecked)) return undefined
  const files = Object.entries(record.inputs)
  const hashes = await Promise.all(files.map(([file]) => hashFile(file)))
  return files.every(([, hash], i) => hashes[i] === hash) ? { collected: record.collected, bundles: record.bundles ?? {} } : undefined
}

/** Record a build that succeeded in full (a build with failures is never reused). */
export async function writeBuildCache(
  where: BuildCacheLocation,
  p: { key: string; typechecked: boolean; files: Iterable<string>; collected: Collected; bundles: Record<string, string> },
): Promise<void> {
  const list = [...new Set(p.files)].sort()
  const hashes = await Promise.all(list.map(hashFile))
  const record: CacheRecord = {
    format: FORMAT,
    key: p.key,
    typechecked: p.typechecked,
    inputs: Object.fromEntries(list.map((f, i) => [f, hashes[i]!])),
    collected: p.collected,
    bundles: p.bundles,
  }
  const file = recordFile(where, p.key)
  await mkdir(dirname(file), { recursive: true, mode: 0o700 })
  await writeRecord(file, JSON.stringify(record, collectedReplacer))
}

/** Atomic: a reader sees the old record or the whole new one. */
async function writeRecord(file: string, json: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomUUID()}`
  await writeFile(tmp, json)
  await rename(tmp, file)
}

/**
 * A reused build that had to bundle again (an older record without bundles, a bundle.js that was
 * not the recorded one): its record now lists the bundles it made, so the next start takes them.
 */
export async function recordBundles(where: BuildCacheLocation, key: string, bundles: Record<string, string>): Promise<void> {
  const file = recordFile(where, key)
  const record = JSON.parse(await readFile(file, 'utf8')) as CacheRecord
  if (record.key === key) await writeRecord(file, JSON.stringify({ ...record, bundles }))
}
