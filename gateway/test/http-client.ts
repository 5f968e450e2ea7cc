// Test helper: one HTTP request on its own connection (node:http, no keep-alive pool). On a
// machine loaded enough that timers run late, a pooled socket can be reused just as the server's
// keep-alive timeout closes it (ECONNRESET); tests that are not about connection reuse use this.
import { request } from 'node:http'

export type Sent = { status: number; headers: Record<string, string | string[] | undefined>; text: string; json(): any }

export function send(
  url: string,
  { method = 'GET', headers = {}, body }: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}
