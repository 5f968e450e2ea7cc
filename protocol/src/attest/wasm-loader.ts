// The one way into the WebAssembly curve code (wasm-g1.ts, wasm-signer.ts): a dynamic import, so
// that ffjavascript (GPL-3.0) is never reached from the attest entry point, and a fallback to noble
// when it cannot be loaded. Both paths give identical results, so it only changes speed.
import type { ShareKey } from './keys.ts'
import { createShareSigner, type ShareSigner } from './sign.ts'
import type { G1Multiply, WasmCurve } from './wasm-g1.ts'

export type { G1Multiply, WasmCurve }

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

/**
 * A share signer usable at once: it signs with noble until `upgrade()` has built the WebAssembly
 * engine (≈ 0.6 s of JavaScript on this thread, so a replica starts it once it listens), then with
 * the engine. Both sign identically, so the switch changes only speed.
 */
export function upgradableShareSigner(key: ShareKey, warn: Warn = () => {}): { sign: ShareSigner; upgrade: () => Promise<void> } {
  let sign = createShareSigner(key)
  let upgrading: Promise<void> | undefined
  return {
    sign: (message) => sign(message),
    upgrade() {
      upgrading ??= loadShareSigner(key, 'wasm', warn).then((wasm) => {
        sign = wasm
      })
      return upgrading
    },
  }
}

/** The WebAssembly curve operations, or undefined (callers then use noble). */
export async function loadWasmCurve(warn: Warn = () => {}): Promise<WasmCurve | undefined> {
  try {
    const { createWasmCurve } = await import('./wasm-g1.ts')
    return await createWasmCurve()
  } catch (err) {
    warn(`WebAssembly curve operations unavailable (${describe(err)}); using noble`)
    return undefined
  }
}
