// How a replica knows a request comes from its gateway: every request except GET /health carries
// an HMAC-SHA256, under a secret both share, over the method, path, a timestamp and the body's
// SHA-256. A signature rather than a bearer key, so a request seen on the wire cannot be replayed
// with another body, path or method, and is useless a few minutes later (docs/protocol.md, "Trust
// model"). The key comes from a file or the environment, never argv; comparison is constant-time.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { NexusError } from '@nexus/protocol'

/** The header carrying `Nexus-HMAC-SHA256 <hex>`. */
export const AUTH_HEADER = 'authorization'
/** The header carrying the signing time, ms since the epoch (decimal). */
export const TIME_HEADER = 'x-nexus-time'
/** The environment variable a replica (or gateway) reads its key from. */
export const GATEWAY_KEY_ENV = 'NEXUS_GATEWAY_KEY'
/** How far a request's time may be from the replica's clock, ms (clock skew + transit). */
export const MAX_SKEW_MS = 5 * 60_000
const SCHEME = 'Nexus-HMAC-SHA256'
const DOMAIN = 'nexus.replica-request.v1'

/** Missing, malformed, stale or wrong authentication: HTTP 401, nothing is done. */
export class UnauthorizedError extends NexusError {
  override name = 'UnauthorizedError'
  override code = 'UNAUTHORIZED'
  override status = 401
}

/** A key shorter than this many bytes is refused: it could be guessed. */
const MIN_KEY_BYTES = 16

/** The key's bytes from its text (a file's content or an env value): surrounding whitespace dropped. */
export function parseGatewayKey(text: string, where: string): Uint8Array {
  const key = new TextEncoder().encode(text.trim())
  if (key.length < MIN_KEY_BYTES) throw new Error(`gateway key from ${where} is shorter than ${MIN_KEY_BYTES} bytes`)
  return key
}

/** The key from `file` if given, else from NEXUS_GATEWAY_KEY; undefined when neither is set. */
export function loadGatewayKey(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Uint8Array | undefined {
  if (file) return parseGatewayKey(readFileSync(file, 'utf8'), file)
  const value = env[GATEWAY_KEY_ENV]
  return value ? parseGatewayKey(value, GATEWAY_KEY_ENV) : undefined
}

function mac(key: Uint8Array, method: string, path: string, time: string, body: Uint8Array): Buffer {
  const bodyHash = createHash('sha256').update(body).digest('hex')
  return createHmac('sha256', key).update(`${DOMAIN}\n${method.toUpperCase()}\n${path}\n${time}\n${bodyHash}`).digest()
}

/** The two headers that authenticate one request (`path` includes the query, as sent). */
export function signRequest(key: Uint8Array, method: string, path: string, body: Uint8Array, now = Date.now()): Record<string, string> {
  const time = String(now)
  return { [AUTH_HEADER]: `${SCHEME} ${mac(key, method, path, time, body).toString('hex')}`, [TIME_HEADER]: time }
}

/** Throws UnauthorizedError unless the headers authenticate exactly this method, path and body. */
export function verifyRequest(
  key: Uint8Array,
  method: string,
  path: string,
  body: Uint8Array,
  header: (name: string) => string | undefined,
  now = Date.now(),
): void {
  const auth = header(AUTH_HEADER)
  const time = header(TIME_HEADER)
  if (!auth || !time) throw new UnauthorizedError('This replica only serves its gateway: the request is not authenticated.')
  const m = new RegExp(`^${SCHEME} ([0-9a-f]{64})$`).exec(auth)
  if (!m || !/^\d{1,16}$/.test(time)) throw new UnauthorizedError('Malformed replica authentication headers.')
  if (Math.abs(Number(time) - now) > MAX_SKEW_MS) throw new UnauthorizedError("The request's signing time is too far from the replica's clock.")
  if (!timingSafeEqual(Buffer.from(m[1]!, 'hex'), mac(key, method, path, time, body)))
    throw new UnauthorizedError("Wrong replica authentication: the request was not signed with this replica's gateway key.")
}
