// Progress of long build steps (ptau generation, zkey setup) and the snarkjs logger adapter.
import type { SnarkjsLogger } from 'snarkjs'

export type BuildProgress = { circuit?: string; stage: string; message: string }
export type OnBuildProgress = (event: BuildProgress) => void

/** Default: one line per event on stderr. */
export const printProgress: OnBuildProgress = (e) => {
  process.stderr.write(`[nexus circuits]${e.circuit ? ` ${e.circuit}` : ''} ${e.stage}: ${e.message}\n`)
}

/** snarkjs logs through this; debug chatter is dropped, info and above become progress events. */
export function snarkjsLogger(stage: string, onProgress: OnBuildProgress | undefined, circuit?: string): SnarkjsLogger {
  const emit = (message: string) => onProgress?.({ circuit, stage, message })
  return { debug: () => {}, info: emit, warn: emit, error: (m) => emit(`error: ${m}`) }
}
