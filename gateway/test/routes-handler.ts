// Test fixture for gateway/test/routes.test.ts: an @onHttp-style handler written by hand. It
// decodes the RoutePayload the gateway writes and echoes it, with a per-function request counter.
import * as kv from 'nexus:function/kv@0.1.0'
import * as env from 'nexus:function/env@0.1.0'

declare module 'nexus:function/kv@0.1.0' {
  export function get(key: string): Uint8Array | undefined
  export function set(key: string, value: Uint8Array): void
}
declare module 'nexus:function/env@0.1.0' {
  export function invocation(): { trigger: string }
  export function now(): bigint
}

const enc = new TextEncoder()
const dec = new TextDecoder()

export function handle(input: Uint8Array): Uint8Array {
  const req = JSON.parse(dec.decode(input)) as {
    kind: string
    method: string
    path: string
    query: [string, string][]
    headers?: [string, string][]
    body: string
  }
  const body = req.body === '0x' ? '' : dec.decode(new Uint8Array((req.body.slice(2).match(/../g) ?? []).map((h) => parseInt(h, 16))))
  const count = Number(dec.decode(kv.get('count') ?? enc.encode('0'))) + 1
  kv.set('count', enc.encode(String(count)))
  const addr = /^\/balance\/([^/]+)$/.exec(req.path)?.[1]
  return enc.encode(
    JSON.stringify({
      trigger: env.invocation().trigger,
      kind: req.kind,
      method: req.method,
      path: req.path,
      addr,
      query: req.query,
      headers: req.headers,
      body,
      count,
    }),
  )
}
