// Which share signer a replica uses. The WebAssembly one (framework/src/attest/wasm-signer.ts) signs
// ≈ 2.4× faster; it is loaded by dynamic import because ffjavascript is GPL-3.0 and is kept, like
// the zk path, out of the attest entry point. Both give identical signatures, so replicas running
// either can be mixed in one network.
import { createShareSigner, type ShareKey, type ShareSigner } from '../../../framework/src/attest/index.ts'

export type SignerKind = 'wasm' | 'noble'

/** `wasm` falls back to noble (with a note through `warn`) when the engine cannot be loaded. */
export async function loadShareSigner(key: ShareKey, kind: SignerKind = 'wasm', warn: (message: string) => void = () => {}): Promise<ShareSigner> {
  if (kind === 'noble') return createShareSigner(key)
  try {
    const { createWasmShareSigner } = await import('../../../framework/src/attest/wasm-signer.ts')
    return await createWasmShareSigner(key)
  } catch (err) {
    warn(`WebAssembly share signer unavailable (${err instanceof Error ? err.message : String(err)}); signing with noble`)
    return createShareSigner(key)
  }
}
