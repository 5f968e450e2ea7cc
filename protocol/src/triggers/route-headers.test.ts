// Route request headers are part of the logged, hashed input: canonical, and never a credential.
import { expect, test } from 'vitest'
import { encodeTriggerPayload } from './payload.ts'
import { isForwardedRouteHeader, routeRequestHeaders } from './route-headers.ts'

test('credentials, transport and proxy headers are dropped; the rest lower-cased, merged and sorted', () => {
  const headers = new Headers([
    ['X-Zeta', '1'],
    ['Accept', 'application/json'],
    ['Authorization', 'Bearer deployer-key'],
    ['Proxy-Authorization', 'Basic x'],
    ['Cookie', 'a=1'],
    ['X-Api-Key', 'k'],
    ['X-Auth-Token', 't'],
    ['Idempotency-Key', 'i'],
    ['Host', 'gateway:8787'],
    ['Content-Length', '3'],
    ['X-Forwarded-For', '10.0.0.1'],
    ['X-Hub-Signature-256', 'sha256=ab'],
  ])
  headers.append('x-zeta', '2')
  expect(routeRequestHeaders(headers)).toEqual([
    ['accept', 'application/json'],
    ['x-hub-signature-256', 'sha256=ab'],
    ['x-zeta', '1, 2'],
  ])
  expect(
    routeRequestHeaders([
      ['B', '2'],
      ['a', '1'],
      ['COOKIE', 'x'],
    ]),
  ).toEqual([
    ['a', '1'],
    ['b', '2'],
  ])
  for (const name of ['authorization', 'Set-Cookie', 'x-session-id', 'x-csrf-token', 'x-secret']) expect(isForwardedRouteHeader(name), name).toBe(false)
})

test('the payload encodes headers canonically, and a payload without any encodes as before headers existed', () => {
  const base = { kind: 'route' as const, method: 'get', path: '/x', query: [] as [string, string][], body: '0x' as const }
  const text = (p: Parameters<typeof encodeTriggerPayload>[0]) => new TextDecoder().decode(encodeTriggerPayload(p))
  expect(text(base)).toBe('{"kind":"route","method":"GET","path":"/x","query":[],"body":"0x"}')
  expect(text({ ...base, headers: [] })).toBe(text(base))
  expect(text({ ...base, headers: [['Authorization', 'Bearer k']] })).toBe(text(base))
  const a = text({
    ...base,
    headers: [
      ['X-B', '2'],
      ['x-a', '1'],
    ],
  })
  expect(a).toBe('{"kind":"route","method":"GET","path":"/x","query":[],"headers":[["x-a","1"],["x-b","2"]],"body":"0x"}')
})
