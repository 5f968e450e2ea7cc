// Private shares travel on a subject everyone can read, so each is sealed to its recipient: an
// X25519 agreement between the dealer's and the recipient's ceremony keys (published in their
// `hello`), HKDF-SHA256 to a one-use AES-256-GCM key bound to the ceremony and the (dealer,
// recipient) pair. A passive listener learns nothing; a tampered box does not open, which the
// recipient treats like a missing share (it complains, the dealer must answer in public).
// Everything here is node:crypto: no new dependency. The private keys live only in memory.
import { createCipheriv, createDecipheriv, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject, randomBytes } from 'node:crypto'

/** A participant's ceremony key pair; `publicKey` is the raw 32-byte X25519 key, base64url. */
export type SealKeys = { publicKey: string; privateKey: KeyObject }

const RAW_KEY = /^[A-Za-z0-9_-]{43}$/
const IV_BYTES = 12
const TAG_BYTES = 16

export function createSealKeys(): SealKeys {
  const { publicKey, privateKey } = generateKeyPairSync('x25519')
  const { x } = publicKey.export({ format: 'jwk' })
  return { publicKey: x!, privateKey }
}

/** Whether `key` has the shape of a raw X25519 public key (base64url of 32 bytes). */
export const isSealPublicKey = (key: unknown): key is string => typeof key === 'string' && RAW_KEY.test(key)

/** The AES key for one (dealer, recipient) pair of one ceremony, or undefined if the peer key is unusable. */
function pairKey(own: KeyObject, peer: string, context: string): Buffer | undefined {
  if (!isSealPublicKey(peer)) return undefined
  try {
    const secret = diffieHellman({ privateKey: own, publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: peer }, format: 'jwk' }) })
    return Buffer.from(hkdfSync('sha256', secret, 'nexus-dkg-v1', context, 32))
  } catch {
    return undefined // a low-order point gives an all-zero secret, which OpenSSL refuses
  }
}

/** `context` names the ceremony and the pair, e.g. `"<ceremony> 2->3"`; both sides must use the same. */
export function seal(p: { keys: SealKeys; peer: string; context: string; plaintext: Uint8Array }): string {
  const key = pairKey(p.keys.privateKey, p.peer, p.context)
  if (!key) throw new Error('cannot seal to a malformed public key')
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(p.context, 'utf8'))
  const body = Buffer.concat([cipher.update(p.plaintext), cipher.final()])
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
}

/** The plaintext, or undefined if the box does not open (wrong key, tampered, malformed). */
export function open(p: { keys: SealKeys; peer: string; context: string; box: unknown }): Uint8Array | undefined {
  if (typeof p.box !== 'string' || !/^[A-Za-z0-9_-]*$/.test(p.box)) return undefined
  const bytes = Buffer.from(p.box, 'base64url')
  if (bytes.length < IV_BYTES + TAG_BYTES) return undefined
  const key = pairKey(p.keys.privateKey, p.peer, p.context)
  if (!key) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES))
    decipher.setAAD(Buffer.from(p.context, 'utf8'))
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES))
    return new Uint8Array(Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]))
  } catch {
    return undefined
  }
}
