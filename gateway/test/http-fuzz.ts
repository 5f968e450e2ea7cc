// A bounded, seeded HTTP fuzzer for the gateway (gateway/test/fuzz.e2e.test.ts runs 2,000
// requests in CI; bench/fuzz.bench-script.ts runs 20,000). Requests are drawn from the real route
// table plus mutations: random methods, ids, cursors, limits, modes and timeouts, bad and huge
// headers, bodies of random JSON, garbage, deep nesting and sizes past every limit, and deploys
// of mutated manifests and components. Every request goes on its own connection. A 5xx answer or a
// connection error is a finding; the same seed draws the same requests.
import { send } from './http-client.ts'

export type FuzzParameters = {
  url: string
  seed: number
  count: number
  /** Requests in flight at once. Default: 8. */
  concurrency?: number
  /** A deployed function (invocations on it run on the replicas). */
  functionId: string
  /** A valid deploy key (some deploys use it, so validation runs past authentication). */
  apiKey: string
  /** A valid artifact to mutate in deploys. */
  artifact: { manifest: Record<string, unknown>; component: string }
}

export type FuzzFinding = { request: string; status?: number; body?: string; error?: string }
export type FuzzReport = { seed: number; count: number; byStatus: Record<string, number>; findings: FuzzFinding[]; ms: number }

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
function rng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!
  const chance = (p: number) => next() < p
  return { next, int, pick, chance }
}
type Rng = ReturnType<typeof rng>

const METHODS = ['GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const
/** The route table with each route's real method (a request uses it 60% of the time, another method otherwise). */
const ROUTES = [
  ['GET', '/health'],
  ['GET', '/ready'],
  ['GET', '/metrics'],
  ['GET', '/openapi.json'],
  ['GET', '/v1/functions'],
  ['POST', '/v1/functions'],
  ['POST', '/v1/functions'],
  ['POST', '/v1/functions'],
  ['GET', '/v1/functions/:id'],
  ['GET', '/v1/functions/:id/versions'],
  ['POST', '/v1/functions/:id/invoke'],
  ['POST', '/v1/functions/:id/invoke'],
  ['POST', '/v1/functions/:id/invoke'],
  ['GET', '/v1/functions/:id/results'],
  ['GET', '/v1/functions/:id/results'],
  ['GET', '/v1/results/:rid'],
  ['GET', '/v1/artifacts/:hash'],
  ['GET', '/v1/functions/:id/http/:rest'],
  ['POST', '/v1/zk/nothing'],
  ['GET', '/'],
  ['GET', '/v2/functions'],
] as const
const NUMBERS = ['0', '1', '-1', '1.5', '1e3', '9223372036854775807', '9223372036854775808', '99999999999999999999999', 'NaN', '0x10', '', ' 1', '%00', 'abc']

function randomString(r: Rng, max: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_.~%!$&'()*+,;=:@ AZé☃"
  return Array.from({ length: r.int(max) + 1 }, () => alphabet[r.int(alphabet.length)]).join('')
}

function randomJson(r: Rng, depth = 0): unknown {
  const kind = r.int(depth > 4 ? 4 : 7)
  if (kind === 0) return r.pick([null, true, false])
  if (kind === 1) return r.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1])
  if (kind === 2) return randomString(r, 40)
  if (kind === 3) return r.pick(['', 'name', '{"', '\u0000'])
  if (kind === 4) return Array.from({ length: r.int(5) }, () => randomJson(r, depth + 1))
  return Object.fromEntries(
    Array.from({ length: r.int(5) }, () => [
      r.pick(['name', 'by', 'manifest', 'component', '__proto__', 'constructor', randomString(r, 8)]),
      randomJson(r, depth + 1),
    ]),
  )
}

function segment(r: Rng, real: string, kind: 'id' | 'rid' | 'hash' | 'rest'): string {
  if (r.chance(0.5)) return real
  const bad = ['', '..', '%2e%2e', '%00', 'HELLO', '-', 'a'.repeat(300), encodeURIComponent('☃'), '%', '%zz', encodeURIComponent(randomString(r, 20))]
  if (kind === 'rid') bad.push('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff')
  if (kind === 'hash') bad.push(`0x${'ab'.repeat(32)}`, `0x${'AB'.repeat(32)}`, '0x')
  if (kind === 'rest') bad.push('x', 'x/', 'x/y/z', '')
  return r.pick(bad)
}

function query(r: Rng): string {
  if (r.chance(0.4)) return ''
  const keys = ['cursor', 'limit', 'mode', 'timeoutMs', 'x']
  const parts = Array.from({ length: r.int(4) + 1 }, () => {
    const k = r.pick(keys)
    // Sync waits are capped, so a fuzz run is not a wait for attestations.
    const v = k === 'mode' ? r.pick(['sync', 'async', 'async', 'x', '']) : k === 'timeoutMs' ? r.pick(['0', '50', '-1', '60001', '1e3', 'x']) : r.pick(NUMBERS)
    return `${k}=${encodeURIComponent(v).replace('%2500', '%00')}`
  })
  return `?${parts.join('&')}`
}

function deployBody(r: Rng, p: FuzzParameters): string {
  const manifest: Record<string, unknown> = structuredClone(p.artifact.manifest)
  const limits = { ...(manifest.limits as Record<string, unknown>) }
  manifest.name = r.pick(['hello', 'fz-a', 'fz-b', 'Bad Name', ''])
  const mutate = r.int(6)
  if (mutate === 0) delete manifest[r.pick(['limits', 'world', 'meter', 'codeHash', 'name'])]
  if (mutate === 1)
    limits[r.pick(['fuel', 'memoryPages', 'maxValueBytes', 'maxOutputBytes', 'maxKeyBytes', 'surprise'])] = r.pick([-5, 0, 1.5, '1', null, 1e20, 65_537])
  if (mutate === 2) manifest.triggers = randomJson(r)
  if (mutate === 3) limits.fuel = r.pick([1, 1000, 50_000_000]) // in range: a valid deploy or a 409
  manifest.limits = limits
  let component = p.artifact.component
  const c = r.int(5)
  if (c === 0) component = Buffer.from(randomString(r, 200)).toString('base64')
  if (c === 1) component = Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]), Buffer.from(randomString(r, 4000))]).toString('base64')
  if (c === 2) component = '!!not base64!!'
  return JSON.stringify({ manifest, component })
}

function body(r: Rng, p: FuzzParameters, path: string): string | Uint8Array | undefined {
  const k = r.int(20)
  if (k < 4) return undefined
  if (k < 9) return JSON.stringify(randomJson(r))
  if (k < 11) return new Uint8Array(Array.from({ length: r.int(4096) }, () => r.int(256)))
  if (k < 12) return `${'['.repeat(5000)}${']'.repeat(5000)}` // deep nesting
  if (k < 13) return new Uint8Array((1 << 20) + r.int(1 << 20)).fill(120) // past the invoke limit
  if (k === 13 && r.chance(0.15)) return new Uint8Array((32 << 20) + 1).fill(120) // past the deploy limit
  if (path === '/v1/functions' || r.chance(0.3)) return deployBody(r, p)
  return '{"name":"fuzz"}'
}

function headers(r: Rng, p: FuzzParameters): Record<string, string> {
  const h: Record<string, string> = {}
  if (r.chance(0.5))
    h['content-type'] = r.pick([
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/octet-stream',
      'x/'.padEnd(2000, 'y'),
      'json',
    ])
  if (r.chance(0.7))
    h.authorization = r.pick([
      `Bearer ${p.apiKey}`,
      `Bearer ${p.apiKey}`,
      'Bearer wrong',
      'Bearer',
      'Basic dXNlcjpwYXNz',
      `Bearer ${'k'.repeat(8000)}`,
      `bearer  ${p.apiKey}`,
      '',
    ])
  if (r.chance(0.2)) h['idempotency-key'] = r.pick(['', 'k1', 'a'.repeat(201), randomString(r, 30).replace(/[^\x21-\x7e]/g, 'x')])
  if (r.chance(0.1)) h.prefer = r.pick(['respond-async', 'wait=1', ''])
  if (r.chance(0.05)) h['x-filler'] = 'f'.repeat(r.int(6000))
  return h
}

/** One request description, drawn from `r`. */
export function drawRequest(r: Rng, p: FuzzParameters) {
  const [realMethod, route] = r.pick(ROUTES)
  const method = r.chance(0.6) ? realMethod : r.pick(METHODS)
  let path = route
    .replace(':id', segment(r, p.functionId, 'id'))
    .replace(':rid', segment(r, '00000000-0000-4000-8000-000000000000', 'rid'))
    .replace(':hash', segment(r, String(p.artifact.manifest.codeHash), 'hash'))
    .replace(':rest', segment(r, 'x', 'rest'))
  if (r.chance(0.1)) path = path.replace('/v1/', r.pick(['/v1//', '/V1/', '/v1/./']))
  if (r.chance(0.1)) path += r.pick(['/', '//', '/extra', '%2F'])
  path += query(r)
  const withBody = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS'
  return { method, path, headers: headers(r, p), body: withBody ? body(r, p, route) : undefined }
}

/** Runs `count` seeded requests; findings are 5xx answers and connection errors. */
export async function fuzzGateway(p: FuzzParameters): Promise<FuzzReport> {
  const r = rng(p.seed)
  const requests = Array.from({ length: p.count }, () => drawRequest(r, p))
  const byStatus: Record<string, number> = {}
  const findings: FuzzFinding[] = []
  const t0 = performance.now()
  let next = 0
  const worker = async () => {
    while (next < requests.length) {
      const index = next++
      const req = requests[index]!
      const label = `#${index} ${req.method} ${req.path.slice(0, 200)} (${req.body === undefined ? 'no body' : `${req.body.length} bytes`})`
      try {
        const res = await send(`${p.url}${req.path}`, req)
        byStatus[res.status] = (byStatus[res.status] ?? 0) + 1
        // /ready answering 503 NOT_READY is its answer to "replicas too slow to answer health", not a failure of the gateway.
        const notReady = res.status === 503 && req.path.startsWith('/ready') && res.text.includes('NOT_READY')
        if (res.status >= 500 && !notReady) findings.push({ request: label, status: res.status, body: res.text.slice(0, 300) })
      } catch (err) {
        byStatus.error = (byStatus.error ?? 0) + 1
        findings.push({ request: label, error: err instanceof Error ? err.message : String(err) })
      }
    }
  }
  await Promise.all(Array.from({ length: p.concurrency ?? 8 }, worker))
  return { seed: p.seed, count: p.count, byStatus, findings, ms: performance.now() - t0 }
}
