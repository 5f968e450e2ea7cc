// Share signing with the curve work in WebAssembly (wasm-g1.ts). A share signature is most of a
// replica's CPU per invocation: ≈ 3.3 ms with noble (sign.ts), ≈ 1.3 ms here. The cofactor clearing
// of hash-to-G1 (≈ 0.4 ms) folds into the same multiplication: sk·(h_eff·Q) = (sk·h_eff)·Q.
// Signatures are identical to createShareSigner's; tests compare them and replay the vectors.
import type { Hex } from 'viem'
import { G1_EFFECTIVE_COFACTOR } from './hash-to-g1.ts'
import type { ShareKey } from './keys.ts'
import { encodeG1, parseScalar } from './points.ts'
import type { ShareSigner } from './sign.ts'
import { createWasmCurve } from './wasm-g1.ts'

/** A signer for `key` (builds the engine on first use). */
export async function createWasmShareSigner(key: ShareKey): Promise<ShareSigner> {
  const scalar = parseScalar(key.secretKey, `secret key of replica ${key.index}`) * G1_EFFECTIVE_COFACTOR
  const curve = await createWasmCurve()
  return (message: Hex) => ({ index: key.index, signature: encodeG1(curve.multiply(curve.hashBeforeClearing(message), scalar)) })
}
