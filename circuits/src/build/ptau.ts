// Powers-of-tau resolution: an explicit file (option or $NEXUS_PTAU), else the smallest prepared file
// that fits in the dev directories (../shared/ptau, the cache), else a local ceremony generated once
// and cached. Single-contributor files are for development only; production passes a ceremony file.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { ZkBuildError } from '@nexus/protocol/zk'
import { snarkjsLogger, type OnBuildProgress } from './logger.ts'

export type PtauHeader = { power: number; prepared: boolean }
export type ResolvedPtau = PtauHeader & { path: string; source: 'explicit' | 'env' | 'dev' | 'generated' }

/** Smallest ceremony power that fits a circuit (snarkjs needs 2^power > constraints + public signals). */
export function requiredPower(r1cs: { nConstraints: number; nPubInputs: number; nOutputs: number }): number {
  return Math.max(1, (r1cs.nConstraints + r1cs.nPubInputs + r1cs.nOutputs).toString(2).length)
}

/** Read the power and whether phase 2 is prepared (section 12 present) from a .ptau header. */
export async function readPtauHeader(path: string): Promise<PtauHeader> {
  const fh = await open(path, 'r')
  try {
    const head = Buffer.alloc(12)
    await fh.read(head, 0, 12, 0)
    if (head.toString('latin1', 0, 4) !== 'ptau') throw new ZkBuildError(`${path} is not a .ptau file.`)
    const nSections = head.readUInt32LE(8)
    let pos = 12
    let power = -1
    let prepared = false
    const sec = Buffer.alloc(12)
    for (let i = 0; i < nSections; i++) {
      await fh.read(sec, 0, 12, pos)
      const type = sec.readUInt32LE(0)
      const size = Number(sec.readBigUInt64LE(4))
      if (type === 1) {
        const n8b = Buffer.alloc(4)
        await fh.read(n8b, 0, 4, pos + 12)
        const n8 = n8b.readUInt32LE(0)
        const pb = Buffer.alloc(4)
        await fh.read(pb, 0, 4, pos + 12 + 4 + n8)
        power = pb.readUInt32LE(0)
      }
      if (type === 12) prepared = true
      pos += 12 + size
    }
    if (power < 0) throw new ZkBuildError(`${path} has no header section.`)
    return { power, prepared }
  } finally {
    await fh.close()
  }
}

export type ResolvePtauParameters = {
  power: number
  /** Explicit ceremony file; wins over everything else. */
  ptau?: string
  /** Directories searched for prepared dev files. Default: [$NEXUS_PTAU_DIR or ../shared/ptau, <cacheDir>/ptau]. */
  searchDirs: readonly string[]
  /** Where generated files are kept. */
  generateDir: string
  /** Generate a local ceremony when nothing fits. Default true. */
  generate?: boolean
  onProgress?: OnBuildProgress
}

async function checkFits(path: string, power: number, source: ResolvedPtau['source']): Promise<ResolvedPtau> {
  if (!existsSync(path)) throw new ZkBuildError(`Powers-of-tau file ${path} does not exist.`)
  const header = await readPtauHeader(path)
  if (!header.prepared) throw new ZkBuildError(`Powers-of-tau file ${path} is not prepared for phase 2.`)
  if (header.power < power) {
    throw new ZkBuildError(`Powers-of-tau file ${path} has power ${header.power}; the circuit needs ${power}.`)
  }
  return { ...header, path: resolve(path), source }
}

/** Find or make a prepared ptau of at least `power`. */
export async function resolvePtau(parameters: ResolvePtauParameters): Promise<ResolvedPtau> {
  const { power } = parameters
  if (parameters.ptau) return checkFits(parameters.ptau, power, 'explicit')
  if (process.env.NEXUS_PTAU) return checkFits(process.env.NEXUS_PTAU, power, 'env')
  let best: ResolvedPtau | undefined
  for (const dir of parameters.searchDirs) {
    if (!existsSync(dir)) continue
    for (const name of readdirSync(dir)
      .filter((f) => f.endsWith('.ptau'))
      .sort()) {
      const path = join(dir, name)
      const header = await readPtauHeader(path).catch(() => undefined)
      if (!header?.prepared || header.power < power) continue
      if (!best || header.power < best.power) best = { ...header, path, source: 'dev' }
    }
  }
  if (best) return best
  if (parameters.generate === false) {
    throw new ZkBuildError(`No prepared powers-of-tau file of power ≥ ${power} found.`, {
      metaMessages: [`Searched: ${parameters.searchDirs.join(', ')}`, 'Pass `ptau` or set NEXUS_PTAU.'],
    })
  }
  return generatePtau(power, parameters.generateDir, parameters.onProgress)
}

/**
 * Local single-contributor ceremony: `powersoftau new` → `contribute` (random entropy) →
 * `prepare phase2`. Slow in JS (≈ 3 min for 2^12, ≈ 30 min for 2^16), hence cached by power.
 */
export async function generatePtau(power: number, dir: string, onProgress?: OnBuildProgress): Promise<ResolvedPtau> {
  const snarkjs = await import('snarkjs')
  mkdirSync(dir, { recursive: true })
  const final = join(dir, `pot${power}_final.ptau`)
  const tmp = `${final}.tmp-${process.pid}`
  const say = (message: string) => onProgress?.({ stage: 'ptau', message })
  const started = Date.now()
  const curve = await snarkjs.curves.getCurveFromName('bn128')
  try {
    say(`generating a local powers-of-tau ceremony of power ${power} (dev only)`)
    await snarkjs.powersOfTau.newAccumulator(curve, power, `${tmp}.0`, snarkjsLogger('ptau new', onProgress))
    say('contributing random entropy')
    await snarkjs.powersOfTau.contribute(`${tmp}.0`, `${tmp}.1`, 'nexus dev', randomBytes(32).toString('hex'), snarkjsLogger('ptau contribute', onProgress))
    say('preparing phase 2 (the slow step)')
    await snarkjs.powersOfTau.preparePhase2(`${tmp}.1`, tmp, snarkjsLogger('ptau phase2', onProgress))
    renameSync(tmp, final)
    say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s → ${final}`)
  } finally {
    for (const f of [`${tmp}.0`, `${tmp}.1`, tmp]) rmSync(f, { force: true })
  }
  return { power, prepared: true, path: final, source: 'generated' }
}
