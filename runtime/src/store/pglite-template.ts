// A fresh PGlite data directory starts with initdb: ≈ 1.7 s of CPU on an idle core of these
// machines, and a fresh `nexus dev` ran it five times at once (four replicas and the gateway, on
// two cores, while the examples built). Opening a copy of an initialized directory takes ≈ 0.1 s.
// So the first fresh open of a PGlite version runs initdb once, into a pristine template kept in
// the user's Nexus cache (build/cache-dir.ts: private to this user), and every fresh data
// directory after it starts as a copy of that template. Only initdb's result is in it: no
// migration, no row. Its files are listed with their sha256 and checked as they are copied, so a
// damaged template is rebuilt rather than copied into a replica.
//
// Safe with several processes at once: the template is built in a temporary folder inside the
// cache and renamed into place, under a lock that makes the others wait for it (build/cache-lock.ts);
// a data directory is seeded by its own opener, which holds that directory's lock (dir-lock.ts),
// and PG_VERSION (what PGlite and openPglite take as "initialized") is written last.
import { createHash, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { nexusCacheDir } from '../build/cache-dir.ts'
import { withEntryLock } from '../build/cache-lock.ts'
import { closeAndCollect } from './collect-garbage.ts'

/** Raise when what goes into a template changes (how initdb is run, how it is listed). */
const TEMPLATE_FORMAT = 1
const SUMS = 'SHA256SUMS'
const READY = 'READY'
/** What openPglite (and PGlite itself) take as "this directory holds a database". */
export const PG_VERSION = 'PG_VERSION'

export class PgliteTemplateError extends Error {
  override name = 'PgliteTemplateError'
}

let pgliteVersion: Promise<string> | undefined
/** The installed PGlite's version (its package.json is not in its `exports`: found beside its entry). */
function installedPgliteVersion(): Promise<string> {
  pgliteVersion ??= (async () => {
    const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite')
    for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
      const pkg = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined)
      if (pkg === undefined) continue
      const { name, version } = JSON.parse(pkg) as { name?: string; version?: string }
      if (name === '@electric-sql/pglite' && version) return version
    }
    throw new PgliteTemplateError(`no package.json of @electric-sql/pglite above ${entry}`)
  })()
  return pgliteVersion
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** What a template holds: its folders (PostgreSQL needs the empty ones too) and its files' sha256. */
type TemplateList = { folders: string[]; files: Record<string, string> }

/** Every folder and regular file under `dir`, as sorted paths relative to it. */
async function listTree(dir: string): Promise<{ folders: string[]; files: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  const path = (e: (typeof entries)[number]) => relative(dir, join(e.parentPath ?? e.path, e.name))
  return {
    folders: entries
      .filter((e) => e.isDirectory())
      .map(path)
      .sort(),
    files: entries
      .filter((e) => e.isFile())
      .map(path)
      .sort(),
  }
}

/** Runs initdb (through PGlite's first open) in a temporary folder and renames the result to `dir`. */
async function buildTemplate(dir: string): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}-${randomUUID()}`
  await mkdir(tmp, { recursive: true, mode: 0o700 })
  try {
    const pg = new PGlite(tmp)
    await pg.waitReady
    // initdb's memories are garbage from here on: freed now, not at V8's next major collection.
    await closeAndCollect(pg)
    if (!existsSync(join(tmp, PG_VERSION))) throw new PgliteTemplateError(`initdb left no ${PG_VERSION} in ${tmp}`)
    const tree = await listTree(tmp)
    const list: TemplateList = { folders: tree.folders, files: {} }
    for (const file of tree.files) list.files[file] = sha256(await readFile(join(tmp, file)))
    await writeFile(join(tmp, SUMS), JSON.stringify(list))
    await writeFile(join(tmp, READY), '')
    await rm(dir, { recursive: true, force: true })
    await rename(tmp, dir)
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}

/** The template's list, or undefined when it is missing or unfinished. */
async function templateList(dir: string): Promise<TemplateList | undefined> {
  if (!existsSync(join(dir, READY))) return undefined
  try {
    const list = JSON.parse(await readFile(join(dir, SUMS), 'utf8')) as TemplateList
    return Array.isArray(list.folders) && Object.hasOwn(list.files ?? {}, PG_VERSION) ? list : undefined
  } catch {
    return undefined
  }
}

/** The template folder of the installed PGlite, built first if this user has none yet. */
export async function pgliteTemplate(cacheDir?: string): Promise<string> {
  const dir = join(cacheDir ?? (await nexusCacheDir('pglite')), `initdb-${await installedPgliteVersion()}-f${TEMPLATE_FORMAT}`)
  await withEntryLock(
    dir,
    async () => (await templateList(dir)) !== undefined,
    () => buildTemplate(dir),
  )
  return dir
}

/** Reading and writing files this many at a time: a template is ≈ 1,000 small files. */
const COPY_CONCURRENCY = 16

/**
 * Copies the template's files into `dataDir` (which must hold no database), checking each one
 * against its sha256; PG_VERSION is written last, by rename. Throws PgliteTemplateError, having
 * removed the template, when a file does not match (the next opener builds it again).
 */
async function copyTemplate(template: string, dataDir: string): Promise<void> {
  const list = await templateList(template)
  if (!list) throw new PgliteTemplateError(`the PGlite template ${template} is incomplete`)
  const sums = list.files
  const files = Object.keys(sums).filter((f) => f !== PG_VERSION)
  for (const folder of list.folders) await mkdir(join(dataDir, folder), { recursive: true, mode: 0o700 })
  const copyOne = async (file: string, to: string) => {
    const bytes = await readFile(join(template, file)).catch((err: unknown) => {
      // Removed under us by another opener that found it damaged: start over from the rebuilt one.
      throw new PgliteTemplateError(`the PGlite template ${template} changed while copied: ${(err as Error).message}`)
    })
    if (sha256(bytes) !== sums[file]) {
      await rm(template, { recursive: true, force: true })
      throw new PgliteTemplateError(`the PGlite template ${template} is damaged (${file}); it is rebuilt on the next fresh open`)
    }
    await writeFile(to, bytes, { mode: 0o600 })
  }
  for (let i = 0; i < files.length; i += COPY_CONCURRENCY) await Promise.all(files.slice(i, i + COPY_CONCURRENCY).map((f) => copyOne(f, join(dataDir, f))))
  const staged = join(dataDir, `${PG_VERSION}.tmp-${process.pid}`)
  await copyOne(PG_VERSION, staged)
  await rename(staged, join(dataDir, PG_VERSION))
}

/**
 * Makes `dataDir` (no database in it yet, locked by the caller) an initialized PGlite directory,
 * copied from this user's template of the installed PGlite version; returns false when no template
 * can be had (no usable cache folder, initdb failed there), and the caller lets PGlite run initdb.
 * A damaged template is rebuilt once.
 */
export async function seedFromTemplate(dataDir: string, options: { cacheDir?: string } = {}): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    let template: string
    try {
      template = await pgliteTemplate(options.cacheDir)
    } catch {
      return false
    }
    try {
      await copyTemplate(template, dataDir)
      return true
    } catch (err) {
      if (!(err instanceof PgliteTemplateError)) throw err
    }
  }
  return false
}
