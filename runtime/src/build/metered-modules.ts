// Metered core modules kept by the hash of what was metered. Every component built with jco's
// QuickJS backend carries the same engine module (1.3 MB of code, the same bytes for every function
// built by the same jco) beside its own module, which is the engine's heap with the function's code
// in it: data only. Metering the engine was ≈ 3.2 s of the ≈ 3.7 s of CPU a compile spends
// metering (2.5 s of wall time: one thread), every time a function was deployed or edited under
// `nexus dev`; the function's own module meters in ≈ 0.2 s. So a module with this much code is
// metered once per user (the folder is in the user's Nexus cache, not in one compile cache: a new
// project, a fresh state folder or a test's own compile cache finds the engine metered already) and
// taken from here by the next compile that has it.
//
// A file is `<sha256 of the module>-<meter version>-<meter build>-<pages>.wasm`: the sha256 of the
// metered bytes, then the bytes, so a damaged file (a full disk, an interrupted copy) is found and
// metered again, never loaded. Written to a temporary name and renamed: a crash leaves no half file.
// Metering is deterministic in what it charges, so a module from here runs with the same fuel as
// one metered now (binaryen may number its hook calls differently; the hook ignores the number).
import { createHash, randomUUID } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { nexusCacheDir } from './cache-dir.ts'
import { codeBytes } from './wasm-sections.ts'
import { METER_BUILD, METER_VERSION } from './meter-version.ts'

/** Modules with at least this much code are kept (the QuickJS engine: ≈ 1.3 MB); smaller ones meter in milliseconds. */
export const KEEP_CODE_BYTES = 64 << 10

/** A compile cache's own folder of metered modules (beside its entries). */
export const meteredModulesDir = (cacheDir: string) => join(cacheDir, 'metered-modules')

/**
 * Where compiles into `cacheDir` keep metered modules: the user's Nexus cache (`metered-modules`,
 * shared by every compile cache of this user), or the compile cache's own folder when no private
 * cache folder can be made (cache-dir.ts).
 */
export async function meteredModulesFor(cacheDir: string): Promise<string> {
  try {
    return await nexusCacheDir('metered-modules')
  } catch {
    return meteredModulesDir(cacheDir)
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest()

/**
 * `meter(core)`, or what it gave for the same bytes, pages and meter build before, from `dir`.
 * `fromCache` says which (for tests and benches). Without `dir`, or for a module with little code,
 * it just meters.
 */
export function meterCached(
  core: Uint8Array,
  maxPages: number,
  meter: (core: Uint8Array) => Uint8Array,
  dir: string | undefined,
  keepCodeBytes = KEEP_CODE_BYTES,
): { bytes: Uint8Array; fromCache: boolean } {
  if (dir === undefined || codeBytes(core) < keepCodeBytes) return { bytes: meter(core), fromCache: false }
  const file = join(dir, `${sha256(core).toString('hex')}-${METER_VERSION}-${METER_BUILD}-${maxPages}.wasm`)
  const kept = readKept(file)
  if (kept) return { bytes: kept, fromCache: true }
  const bytes = meter(core)
  const tmp = `${file}.tmp-${process.pid}-${randomUUID()}`
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    writeFileSync(tmp, Buffer.concat([sha256(bytes), bytes]), { mode: 0o600 })
    renameSync(tmp, file)
  } catch {
    // Keeping it is an optimisation: a read-only or full cache folder only means metering again.
    rmSync(tmp, { force: true })
  }
  return { bytes, fromCache: false }
}

function readKept(file: string): Uint8Array | undefined {
  let stored: Buffer
  try {
    stored = readFileSync(file)
  } catch {
    return undefined
  }
  if (stored.length <= 32) return undefined
  const bytes = stored.subarray(32)
  return sha256(bytes).equals(stored.subarray(0, 32)) ? new Uint8Array(bytes) : undefined
}
