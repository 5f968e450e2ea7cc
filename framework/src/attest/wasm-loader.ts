// The one way into the WebAssembly curve code (wasm-g1.ts, wasm-signer.ts): a dynamic import, so
// that ffjavascript (GPL-3.0) is never reached from the attest entry point, and a fallback to noble
// when it cannot be loaded. Both paths give identical results, so it only changes speed.
import type { ShareKey } from './keys.ts'
import { createShareSigner, type ShareSigner } from './sign.ts'
import type { G1Multiply } from './wasm-g1.ts'

export type { G1Multiply }

type Warn = (message: string) => void

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err))

/** The WebAssembly share signer, or noble's (with a note through `warn`) if it cannot be loaded. */
export async function loadShareSigner(key: ShareKey, kind: 'wasm' | 'noble' = 'wasm', warn: Warn = () => {}): Promise<ShareSigner> {
  if (kind === 'noble') return createShareSigner(key)
  try {
    const { createWasmShareSigner } = await import('./wasm-signer.ts')
    return await createWasmShareSigner(key)
  } catch (err) {
    warn(`WebAssembly share signer unavailable (${describe(err)}); signing with noble`)
    return createShareSigner(key)
  }
}

/** The WebAssembly G1 multiplication, or undefined (callers then multiply with noble). */
export async function loadG1Multiply(warn: Warn = () => {}): Promise<G1Multiply | undefined> {
  try {
    const { createWasmG1Multiply } = await import('./wasm-g1.ts')
    return await createWasmG1Multiply()
  } catch (err) {
    warn(`WebAssembly G1 multiplication unavailable (${describe(err)}); using noble`)
    return undefined
  }
}
