// One way to turn an entry file into one plain ES module on disk, for the process and worker
// bundles alike: the output is named by its content's hash (a changed source never loads a stale
// bundle), and a manifest beside it records every input file's hash, so a later process whose
// inputs are unchanged takes the file without starting esbuild at all (each replica did: ≈ 0.3 s
// of CPU per start and an esbuild service process, docs/benchmarks.md, "npm start").
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import type { BuildOptions } from 'esbuild'

/** `dir`: the bundle's folder (named by its files' hash); `files`: each file's sha256; `entry`: the one to run. */
/** An input as recorded: its content hash, and its size and mtime (an unchanged stat skips reading it). */
type Input = { sha256: string; size: number; mtimeMs: number }
type Manifest = { dir: string; entry: string; files: Record<string, string>; inputs: Record<string, Input> }

export type HashedBundleRequest = {
  /** The entry's absolute path. */
  entry: string
  /** The output's name before `-<hash>.mjs`. */
  name: string
  /** A private folder (build/cache-dir.ts). */
  cacheDir: string
  /** What else the output depends on (the options, as a string); part of the manifest's name. */
  variant: string
  /** esbuild options besides the entry, `bundle`, `write` and `metafile`. */
  options: BuildOptions
}

let esbuildLoaded = false

const sha = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex')

/** Atomic: a reader sees the old file or the whole new one. */
async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  await writeFile(tmp, data, { mode: 0o600 })
  await rename(tmp, file)
}

/** The manifest's entry, when every input still hashes as recorded and every output file is intact. */
async function reuse(manifestFile: string, cacheDir: string): Promise<string | undefined> {
  try {
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest
    const dir = join(cacheDir, manifest.dir)
    const same = await Promise.all([
      ...Object.entries(manifest.inputs).map(([path, input]) => unchanged(path, input)),
      // The outputs are checked too: they are what runs.
      ...Object.entries(manifest.files).map(async ([file, hash]) => sha(await readFile(join(dir, file))) === hash),
    ])
    return same.every(Boolean) ? join(dir, manifest.entry) : undefined
  } catch {
    return undefined
  }
}

/**
 * The bundle's entry file: reused when its inputs are unchanged, else built (esbuild) and recorded.
 * The output is a folder: with `splitting`, a dynamic `import()` becomes a chunk of its own, loaded
 * (with the external packages it imports) only when that code runs.
 */
export async function bundleToHashedFile(r: HashedBundleRequest): Promise<string> {
  const manifestFile = join(r.cacheDir, `${r.name}-${sha(`${r.entry}\0${r.variant}`).slice(0, 16)}.inputs.json`)
  const reused = await reuse(manifestFile, r.cacheDir)
  if (reused) return reused
  // Loaded only here: a process that reuses its bundles never loads esbuild.
  const { build } = await import('esbuild')
  esbuildLoaded = true
  const outdir = join(r.cacheDir, '.out')
  const result = await build({
    ...r.options,
    entryPoints: { [r.name]: r.entry },
    bundle: true,
    write: false,
    metafile: true,
    outdir,
    outExtension: { '.js': '.mjs' },
  })
  const files: Record<string, string> = {}
  const all = createHash('sha256')
  for (const out of result.outputFiles!) {
    const file = relative(outdir, out.path)
    files[file] = sha(out.contents)
    all.update(file).update(files[file])
  }
  const dir = `${r.name}-${all.digest('hex').slice(0, 16)}`
  // Written under a temporary name, then renamed: a reader sees no folder or the whole of it.
  if (!(await intact(join(r.cacheDir, dir), files))) {
    // Altered on disk (or half there): replaced whole.
    await rm(join(r.cacheDir, dir), { recursive: true, force: true })
    const tmp = join(r.cacheDir, `${dir}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`)
    for (const out of result.outputFiles!) {
      await mkdir(dirname(join(tmp, relative(outdir, out.path))), { recursive: true, mode: 0o700 })
      await writeFile(join(tmp, relative(outdir, out.path)), out.contents, { mode: 0o600 })
    }
    await rename(tmp, join(r.cacheDir, dir)).catch(async (err: NodeJS.ErrnoException) => {
      // Another process wrote the same folder first (the same content: its name is the hash).
      await rm(tmp, { recursive: true, force: true })
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err
    })
  }
  const cwd = r.options.absWorkingDir ?? process.cwd()
  const inputs: Record<string, Input> = {}
  for (const path of Object.keys(result.metafile!.inputs)) {
    // Only files on disk: esbuild names plugin-made modules with a namespace prefix.
    if (path.includes(':') && !isAbsolute(path)) continue
    const file = resolve(cwd, path)
    const [bytes, st] = await Promise.all([readFile(file), stat(file)])
    inputs[file] = { sha256: sha(bytes), size: st.size, mtimeMs: st.mtimeMs }
  }
  const entry = `${r.name}.mjs`
  await writeAtomic(manifestFile, JSON.stringify({ dir, entry, files, inputs } satisfies Manifest))
  return join(r.cacheDir, dir, entry)
}

/**
 * Whether an input is as recorded: the same size and mtime (a stat, as make and tsc decide), else
 * the same content (a file touched but not changed is still unchanged).
 */
async function unchanged(path: string, input: Input): Promise<boolean> {
  const st = await stat(path)
  if (st.size !== input.size) return false
  return st.mtimeMs === input.mtimeMs || sha(await readFile(path)) === input.sha256
}

/** Whether `dir` holds exactly these files with these hashes. */
const intact = (dir: string, files: Record<string, string>) =>
  Promise.all(Object.entries(files).map(async ([file, hash]) => sha(await readFile(join(dir, file))) === hash)).then(
    (same) => same.every(Boolean),
    () => false,
  )

/** Ends esbuild's service process if this process started it (a reused bundle never does). */
export async function stopEsbuild(): Promise<void> {
  if (!esbuildLoaded) return
  const { stop } = await import('esbuild')
  await stop()
}
