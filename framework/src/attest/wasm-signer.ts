// Share signing with the scalar multiplication in WebAssembly: ffjavascript's BLS12-381 engine (the
// one snarkjs proves with). A share signature is most of a replica's CPU per invocation, and noble's
// constant-time bigint multiplication is most of a signature: ≈ 2.1 ms there against ≈ 0.45 ms here,
// and the cofactor clearing of hash-to-G1 (≈ 0.4 ms) folds into the same multiplication, since
// sk·(h_eff·Q) = (sk·h_eff)·Q. Signatures are identical to createShareSigner's (sign.ts); tests
// compare them.
//
// Licence: ffjavascript is GPL-3.0. Like snarkjs it stays out of the attest entry point; replicas
// load this module with a dynamic import (runtime/src/replica/share-signer.ts) and fall back to noble.
//
// Timing: wasmcurves multiplies by NAF double-and-add, so its sequence of operations depends on the
// scalar only. That scalar, sk·h_eff, is the same for every message a replica signs: every signature
// takes the same path, and timing can reveal at most that one path's length (the NAF weight of
// sk·h_eff), not the key bits.
import { buildBls12381, type WasmBls12381 } from 'ffjavascript'
import type { Hex } from 'viem'
import { G1_EFFECTIVE_COFACTOR, hashToCurveG1BeforeClearing } from './hash-to-g1.ts'
import type { ShareKey } from './keys.ts'
import { bls, encodeG1, encodeG1Affine, messageBytes, NEXUS_DST, parseScalar, type G1Point } from './points.ts'
import type { ShareSigner } from './sign.ts'

let engine: Promise<WasmBls12381> | undefined
const INFINITY = encodeG1(bls.G1.Point.ZERO as G1Point)

/** Build (once per process, ≈ 0.3 s) the engine and return a signer for `key`. */
export async function createWasmShareSigner(key: ShareKey): Promise<ShareSigner> {
  const sk = parseScalar(key.secretKey, `secret key of replica ${key.index}`)
  const { G1 } = await (engine ??= buildBls12381(true))
  const scalar = toLittleEndian(sk * G1_EFFECTIVE_COFACTOR, 48) // < 2^320; the engine reads 32-bit words
  const point = new Uint8Array(96)
  const product = new Uint8Array(96)
  return (message: Hex) => {
    const q = hashToCurveG1BeforeClearing(messageBytes(message), NEXUS_DST)
    // Q_0 + Q_1 = O (or a product of O) has negligible probability; noble's path signs it as O too.
    if (q.is0()) return { index: key.index, signature: INFINITY }
    const { x, y } = q.toAffine()
    writeBigEndian(point, 0, x)
    writeBigEndian(point, 48, y)
    const signature = G1.timesScalar(G1.fromRprUncompressed(point, 0), scalar)
    if (G1.isZero(signature)) return { index: key.index, signature: INFINITY }
    G1.toRprUncompressed(product, 0, G1.toAffine(signature))
    return { index: key.index, signature: encodeG1Affine(readBigEndian(product, 0), readBigEndian(product, 48)) }
  }
}

function toLittleEndian(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0, v = value; i < length; i++, v >>= 8n) out[i] = Number(v & 0xffn)
  return out
}

function writeBigEndian(out: Uint8Array, offset: number, value: bigint): void {
  for (let i = 47, v = value; i >= 0; i--, v >>= 8n) out[offset + i] = Number(v & 0xffn)
}

function readBigEndian(bytes: Uint8Array, offset: number): bigint {
  return BigInt(`0x${Buffer.from(bytes.subarray(offset, offset + 48)).toString('hex')}`)
}
