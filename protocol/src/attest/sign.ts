// Replica side: sign a 32-byte message (result digest or batch root) with a key share, and check
// one share against its replica's share public key.
import type { Hex } from 'viem'
import type { ShareKey } from './keys.ts'
import { decodeG1, decodeG2, encodeG1, hashToG1, pairingCheck, parseScalar, type G1Point, type G2Point } from './points.ts'

export type SignatureShare = { index: number; signature: Hex }

/** Signs digests and batch roots with one key share; see createShareSigner and wasm-signer.ts. */
export type ShareSigner = (message: Hex) => SignatureShare

/** A signer with noble's constant-time multiplication: signShare with the key parsed once. */
export function createShareSigner(key: ShareKey): ShareSigner {
  const sk = parseScalar(key.secretKey, `secret key of replica ${key.index}`)
  return (message) => ({ index: key.index, signature: encodeG1(hashToG1(message).multiply(sk) as G1Point) })
}

/**
 * Sign a digest or batch root with one replica's share: σ_i = sk_i · H(m). Deterministic.
 * @example const share = signShare(resultDigest(fields), key)
 */
export function signShare(message: Hex, key: ShareKey): SignatureShare {
  return createShareSigner(key)(message)
}

/** Sign with an already hashed message (the batch path hashes once and signs many times in tests/benches). */
export function signHashed(hashed: G1Point, key: ShareKey): SignatureShare {
  const sk = parseScalar(key.secretKey, `secret key of replica ${key.index}`)
  return { index: key.index, signature: encodeG1(hashed.multiply(sk) as G1Point) }
}

/** Does a (decoded or hex) signature verify for `message` under `publicKey`? Throws on malformed points. */
export function verifySignature(message: Hex | G1Point, signature: Hex | G1Point, publicKey: Hex | G2Point): boolean {
  const hashed = typeof message === 'string' ? hashToG1(message) : message
  const sig = typeof signature === 'string' ? decodeG1(signature) : signature
  const pk = typeof publicKey === 'string' ? decodeG2(publicKey) : publicKey
  return pairingCheck(sig, hashed, pk)
}

/** Check one share against its replica's share public key. Throws on malformed points. */
export function verifyShare(message: Hex, share: SignatureShare, sharePublicKey: Hex | G2Point): boolean {
  return verifySignature(message, decodeG1(share.signature, `share of replica ${share.index}`), sharePublicKey)
}
