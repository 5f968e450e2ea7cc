// Build a circuit end to end with a content-hash cache:
//   <cacheDir>/<id>-<hash16>/{<name>.r1cs, <name>_js/<name>.wasm, circuit.zkey, verification_key.json, manifest.json}
// The compile step is keyed by the source hash; the setup step also by the ptau file it used, so a
// rebuild of an unchanged circuit touches nothing and returns `cached: true`.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { computeVerificationKeyHash, registerVerificationKey, ZkBuildError, type Groth16VerificationKey } from '@nexus/protocol/zk'
import type { Hex } from 'viem'
import { defaultCacheDir, defaultPtauDir, nodeModulesDir, repoRoot } from '../paths.ts'
import type { CircuitDefinition } from '../registry.ts'
import { circomVersion, compileCircom } from './compile.ts'
import { snarkjsLogger, type OnBuildProgress } from './logger.ts'
import { requiredPower, resolvePtau, type ResolvedPtau } from './ptau.ts'
import { computeSourceHash } from './source-hash.ts'
import { withCacheLock } from './lock.ts'

export type BuildCircuitParameters = {
  circuit: CircuitDefinition
  /** Default: `$NEXUS_CIRCUITS_CACHE` or `.nexus/circuits`. */
  cacheDir?: string
  /** Explicit powers-of-tau file (else `$NEXUS_PTAU`, dev files, or a locally generated one). */
  ptau?: string
  /** Directories with prepared dev ptau files. Default: [`$NEXUS_PTAU_DIR` or `../shared/ptau`, `<cacheDir>/ptau`]. */
  ptauDirs?: string[]
  /** Generate a local ceremony when no file fits. Default true. */
  generatePtau?: boolean
  /** Extra circom include directories (node_modules is always one). */
  libraries?: string[]
  /** circom optimisation flag. Default `--O2` (what Groth16 wants). */
  optimization?: '--O0' | '--O1' | '--O2'
  onProgress?: OnBuildProgress
}

export type BuiltCircuit = {
  id: string
  sourceHash: string
  dir: string
  r1csPath: string
  wasmPath: string
  zkeyPath: string
  verificationKeyPath: string
  verificationKey: Groth16VerificationKey
  verificationKeyHash: Hex
  constraints: number
  nPublic: number
  /** Public outputs come first in `publicSignals`; the remaining `nPublic - nOutputs` are public inputs. */
  nOutputs: number
  ptau: { path: string; power: number; source: ResolvedPtau['source'] }
  /** True when nothing was compiled or set up in this call. */
  cached: boolean
  timings: { compileMs: number; setupMs: number }
}

type Manifest = Omit<BuiltCircuit, 'cached' | 'verificationKey' | 'dir' | 'r1csPath' | 'wasmPath' | 'zkeyPath' | 'verificationKeyPath'> & {
  files: string[]
  ptauSize: number
}

/** Compile (circom2 --O2), set up (Groth16 zkey + one dev contribution) and export the key, cached by content. */
export async function buildCircuit(parameters: BuildCircuitParameters): Promise<BuiltCircuit> {
  const { circuit } = parameters
  const cacheDir = parameters.cacheDir ?? defaultCacheDir()
  const libraries = [nodeModulesDir, ...(parameters.libraries ?? [])]
  const flags = [parameters.optimization ?? '--O2']
  if (!existsSync(circuit.main)) throw new ZkBuildError(`Circuit source ${circuit.main} does not exist.`)
  const { hash, files } = computeSourceHash({ main: circuit.main, libraries, root: repoRoot, compiler: circomVersion(), flags })
  const dir = join(cacheDir, `${circuit.id}-${hash.slice(0, 16)}`)
  mkdirSync(cacheDir, { recursive: true })
  // One builder per cache entry at a time, across processes (parallel test files share caches).
  return withCacheLock(`${dir}.lock`, () => buildLocked(parameters, { cacheDir, libraries, flags, hash, files, dir }))
}

async function buildLocked(
  parameters: BuildCircuitParameters,
  { cacheDir, libraries, flags, hash, files, dir }: { cacheDir: string; libraries: string[]; flags: string[]; hash: string; files: string[]; dir: string },
): Promise<BuiltCircuit> {
  const { circuit, onProgress } = parameters
  const say = (stage: string, message: string) => onProgress?.({ circuit: circuit.id, stage, message })
  const name = basename(circuit.main, '.circom')
  const paths = {
    dir,
    r1csPath: join(dir, `${name}.r1cs`),
    wasmPath: join(dir, `${name}_js`, `${name}.wasm`),
    zkeyPath: join(dir, 'circuit.zkey'),
    verificationKeyPath: join(dir, 'verification_key.json'),
  }
  const manifestPath = join(dir, 'manifest.json')
  const snarkjs = await import('snarkjs')

  // 1. Compile, unless an earlier build of the same content left its r1cs and wasm.
  let compileMs = 0
  if (!existsSync(paths.r1csPath) || !existsSync(paths.wasmPath)) {
    say('compile', `circom ${flags.join(' ')} (${files.length} source files, hash ${hash.slice(0, 16)})`)
    const started = performance.now()
    const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
    mkdirSync(tmp, { recursive: true })
    try {
      await compileCircom({ main: circuit.main, outDir: tmp, libraries, flags })
      rmSync(dir, { recursive: true, force: true })
      renameSync(tmp, dir)
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
    compileMs = performance.now() - started
  }
  const info = await snarkjs.r1cs.info(paths.r1csPath)
  const power = requiredPower(info)

  // 2. Resolve the ceremony file; the zkey is reusable only if it came from the same one.
  const ptau = await resolvePtau({
    power,
    ptau: parameters.ptau,
    searchDirs: parameters.ptauDirs ?? [defaultPtauDir(), join(cacheDir, 'ptau')],
    generateDir: join(cacheDir, 'ptau'),
    generate: parameters.generatePtau,
    onProgress,
  })
  const ptauSize = statSync(ptau.path).size
  const previous = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest) : undefined
  const setupValid =
    previous?.sourceHash === hash &&
    previous.ptau.path === ptau.path &&
    previous.ptauSize === ptauSize &&
    existsSync(paths.zkeyPath) &&
    existsSync(paths.verificationKeyPath)

  let setupMs = 0
  if (!setupValid) {
    say('setup', `Groth16 setup with ${ptau.path} (power ${ptau.power}, ${info.nConstraints} constraints)`)
    const started = performance.now()
    const zkey0 = `${paths.zkeyPath}.0`
    const zkeyTmp = `${paths.zkeyPath}.tmp`
    try {
      await snarkjs.zKey.newZKey(paths.r1csPath, ptau.path, zkey0, snarkjsLogger('setup', onProgress, circuit.id))
      if (!existsSync(zkey0)) throw new ZkBuildError(`Groth16 setup of ${circuit.id} produced no zkey.`)
      // One phase-2 contribution with fresh entropy (dev); production runs a multi-party phase 2.
      await snarkjs.zKey.contribute(zkey0, zkeyTmp, 'nexus dev', randomBytes(32).toString('hex'))
      renameSync(zkeyTmp, paths.zkeyPath)
    } finally {
      rmSync(zkey0, { force: true })
      rmSync(zkeyTmp, { force: true })
    }
    const vk = await snarkjs.zKey.exportVerificationKey(paths.zkeyPath)
    writeFileSync(paths.verificationKeyPath, `${JSON.stringify(vk, null, 1)}\n`)
    setupMs = performance.now() - started
  }

  const verificationKey = JSON.parse(readFileSync(paths.verificationKeyPath, 'utf8')) as Groth16VerificationKey
  const verificationKeyHash = computeVerificationKeyHash(verificationKey)
  registerVerificationKey(verificationKey)
  // Keys by hash, so `verifyZkResult` and `nexus verify` find them from a result alone.
  const vkDir = join(cacheDir, 'vk')
  mkdirSync(vkDir, { recursive: true })
  const vkFile = join(vkDir, `${verificationKeyHash}.json`)
  if (!existsSync(vkFile)) writeFileSync(vkFile, JSON.stringify(verificationKey))

  const built: BuiltCircuit = {
    id: circuit.id,
    sourceHash: hash,
    ...paths,
    verificationKey,
    verificationKeyHash,
    constraints: info.nConstraints,
    nPublic: verificationKey.nPublic,
    nOutputs: info.nOutputs,
    ptau: { path: ptau.path, power: ptau.power, source: ptau.source },
    cached: compileMs === 0 && setupMs === 0,
    timings: { compileMs, setupMs },
  }
  if (!setupValid || compileMs > 0) {
    const manifest: Manifest = {
      id: built.id,
      sourceHash: hash,
      verificationKeyHash,
      constraints: built.constraints,
      nPublic: built.nPublic,
      nOutputs: built.nOutputs,
      ptau: built.ptau,
      ptauSize,
      timings: built.timings,
      files: files.map((f) => f.replace(`${repoRoot}/`, '')),
    }
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
  }
  return built
}
