// The gateway's node server (gateway/src/server/node-server.ts) with raw sockets: a stop closes idle
// keep-alive connections at once, answers the request in flight with Connection: close, answers a
// request that still arrives on a busy connection 503 with the JSON error shape, and refuses new
// connections; a lying Content-Length gets 408 within the request timeout instead of holding the
// connection; binding a port in use rejects.
import { connect, type Socket } from 'node:net'
import { afterEach, expect, test } from 'vitest'
import { createNodeServer, type NodeServer } from '../src/server/node-server.ts'

let current: NodeServer | undefined
afterEach(async () => {
  await current?.close(0)
  current = undefined
})

/** A raw HTTP/1.1 client socket that collects everything it receives. */
async function rawClient(port: number) {
  const socket: Socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  let received = ''
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk))
  socket.on('error', () => {})
  return {
    socket,
    closed,
    received: () => received,
    send: (path: string, body = '') => socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
    until: async (text: string) => {
      const deadline = Date.now() + 5000
      while (!received.includes(text)) {
        if (Date.now() > deadline) throw new Error(`no "${text}" in ${JSON.stringify(received)}`)
        await new Promise((r) => setTimeout(r, 10))
      }
    },
  }
}

test('stop: idle connections closed, the request in flight answered with Connection: close, a request arriving on a busy connection 503, new connections refused', async () => {
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  current = createNodeServer(async (req) => {
    if (new URL(req.url).pathname === '/slow') await gate
    return new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } })
  })
  const port = await current.listen(0, '127.0.0.1')

  const idle = await rawClient(port)
  idle.send('/fast')
  await idle.until('{"ok":true}')
  const busy = await rawClient(port)
  busy.send('/slow')
  await new Promise((r) => setTimeout(r, 100))

  current.stopAccepting()
  await idle.closed // closed by the server, not by the client
  // A pipelined request on the busy connection arrives after the stop began.
  busy.send('/fast')
  await expect(rawClient(port)).rejects.toThrow(/ECONNREFUSED/)
  release()
  await busy.closed
  const answers = busy.received().split('HTTP/1.1 ').slice(1)
  expect(answers[0]).toMatch(/^200 /)
  expect(answers[0]).toMatch(/connection: close/i)
  if (answers[1] !== undefined) {
    expect(answers[1]).toMatch(/^503 /)
    expect(answers[1]).toContain('"code":"SHUTTING_DOWN"')
  }
  await current.close(1000)
})

test('a request whose headers arrived before the stop is answered, with Connection: close', async () => {
  current = createNodeServer(async (req) => new Response(`got ${await req.text()}`))
  const port = await current.listen(0, '127.0.0.1')
  const client = await rawClient(port)
  // Half-sent request: its headers are in, so the connection is not idle when the stop begins.
  client.socket.write('POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n')
  await new Promise((r) => setTimeout(r, 100))
  current.stopAccepting()
  // The rest of it, and a pipelined second request that arrives after the stop began.
  client.socket.write('{}POST /y HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n')
  await client.closed
  const answers = client.received().split('HTTP/1.1 ').slice(1)
  expect(answers[0]).toMatch(/^200 [\s\S]*connection: close[\s\S]*got \{\}$/i)
  if (answers[1] !== undefined) expect(answers[1]).toMatch(/^503 [\s\S]*\{"error":\{"code":"SHUTTING_DOWN"/)
})

test('a request whose headers complete after the stop began is answered 503 with the JSON error shape, and nothing else runs', async () => {
  let handled = 0
  current = createNodeServer(() => {
    handled++
    return new Response('{"ok":true}')
  })
  const port = await current.listen(0, '127.0.0.1')
  const client = await rawClient(port)
  client.socket.write('POST /v1/functions/x/invoke HTTP/1.1\r\nHost: x\r\n')
  await new Promise((r) => setTimeout(r, 100))
  current.stopAccepting()
  client.socket.write('Content-Length: 0\r\n\r\n')
  await client.closed
  expect(client.received()).toMatch(/^HTTP\/1.1 503 [\s\S]*connection: close[\s\S]*\{"error":\{"code":"SHUTTING_DOWN","message":"[^"]+"\}\}$/i)
  expect(handled).toBe(0)
})

test('a lying Content-Length gets 408 and the connection closed within the request timeout', async () => {
  current = createNodeServer(async (req) => new Response(await req.text()), { requestTimeoutMs: 400, headersTimeoutMs: 300 })
  const port = await current.listen(0, '127.0.0.1')
  const client = await rawClient(port)
  const started = Date.now()
  client.socket.write('POST /v1/functions/x/invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc')
  await client.closed
  expect(client.received()).toMatch(/^HTTP\/1.1 408 /)
  // Generous: the bound is that it ends at all, not how fast (no wall-clock assertion on speed).
  expect(Date.now() - started).toBeLessThan(10_000)
})

test('connections above the cap are closed on accept', async () => {
  current = createNodeServer(() => new Response('ok'), { maxConnections: 2 })
  const port = await current.listen(0, '127.0.0.1')
  const kept = [await rawClient(port), await rawClient(port)]
  const third = await rawClient(port)
  await third.closed
  expect(third.received()).toBe('')
  for (const c of kept) c.socket.destroy()
})

test('listen on a port in use rejects with EADDRINUSE and leaves nothing listening', async () => {
  const first = createNodeServer(() => new Response('ok'))
  const port = await first.listen(0, '127.0.0.1')
  current = createNodeServer(() => new Response('ok'))
  await expect(current.listen(port, '127.0.0.1')).rejects.toThrow(/EADDRINUSE/)
  expect(current.server.listening).toBe(false)
  await first.close(0)
})
