// One way to turn an entry file into one plain ES module on disk, for the process and worker
// bundles alike: the output is named by its content's hash (a changed source never loads a stale
// bundle), and a manifest beside it records every input file's hash, so a later process whose
// inputs are unchanged takes the file without starting esbuild at all (each replica did: ≈ 0.3 s
// of CPU per start and an esbuild service process, docs/benchmarks.md, "npm start").
import { createHash } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import type { BuildOptions } from 'esbuild'

type Manifest = { output: string; inputs: Record<string, string> }

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

/** The manifest's output, when every input still hashes as recorded and the output is there. */
async function reuse(manifestFile: string, cacheDir: string): Promise<string | undefined> {
  let manifest: Manifest
  try {
    manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest
  } catch {
    return undefined
  }
  const output = join(cacheDir, manifest.output)
  try {
    const checks = Object.entries(manifest.inputs).map(async ([path, hash]) => sha(await readFile(path)) === hash)
    const [code, ...same] = await Promise.all([readFile(output), ...checks])
    // The output is checked too: it is what runs, and its name carries its hash.
    if (!same.every(Boolean) || !manifest.output.endsWith(`-${sha(code as Buffer).slice(0, 16)}.mjs`)) return undefined
  } catch {
    return undefined
  }
  return output
}

/** The bundle's path: reused when its inputs are unchanged, else built (esbuild) and recorded. */
export async function bundleToHashedFile(r: HashedBundleRequest): Promise<string> {
  const manifestFile = join(r.cacheDir, `${r.name}-${sha(`${r.entry}\0${r.variant}`).slice(0, 16)}.inputs.json`)
  const reused = await reuse(manifestFile, r.cacheDir)
  if (reused) return reused
  // Loaded only here: a process that reuses its bundles never loads esbuild.
  const { build } = await import('esbuild')
  esbuildLoaded = true
  const result = await build({ ...r.options, entryPoints: [r.entry], bundle: true, write: false, metafile: true })
  const code = result.outputFiles![0]!.contents
  const output = `${r.name}-${sha(code).slice(0, 16)}.mjs`
  await writeAtomic(join(r.cacheDir, output), code)
  const cwd = r.options.absWorkingDir ?? process.cwd()
  const inputs: Record<string, string> = {}
  for (const path of Object.keys(result.metafile!.inputs)) {
    // Only files on disk: esbuild names plugin-made modules with a namespace prefix.
    if (path.includes(':') && !isAbsolute(path)) continue
    const file = resolve(cwd, path)
    inputs[file] = sha(await readFile(file))
  }
  await writeAtomic(manifestFile, JSON.stringify({ output, inputs } satisfies Manifest))
  return join(r.cacheDir, output)
}

/** Ends esbuild's service process if this process started it (a reused bundle never does). */
export async function stopEsbuild(): Promise<void> {
  if (!esbuildLoaded) return
  const { stop } = await import('esbuild')
  await stop()
}
