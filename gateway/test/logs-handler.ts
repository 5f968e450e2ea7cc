// Test fixture for gateway/test/logs.e2e.test.ts: an async handler written by hand (issue 17). It
// awaits kv and its own promises and logs through the log interface, as ctx.log does.
import * as kv from 'nexus:function/kv@0.1.0'
import * as log from 'nexus:function/log@0.1.0'

declare module 'nexus:function/kv@0.1.0' {
  export function get(key: string): Uint8Array | undefined
  export function set(key: string, value: Uint8Array): void
}
declare module 'nexus:function/log@0.1.0' {
  export function write(level: string, message: string): void
}

const enc = new TextEncoder()
const dec = new TextDecoder()
const later = <T>(value: T) => new Promise<T>((resolve) => Promise.resolve().then(() => resolve(value)))

export async function handle(input: Uint8Array): Promise<Uint8Array> {
  const req = JSON.parse(dec.decode(input)) as { op: string; lines?: number }
  switch (req.op) {
    case 'count': {
      const before = Number(dec.decode(kv.get('count') ?? enc.encode('0')))
      log.write('debug', `count was ${before}`)
      const next = await later(before + 1)
      kv.set('count', enc.encode(String(next)))
      log.write('info', `count is ${next}`)
      log.write('warn', 'a warning')
      log.write('error', 'an error line')
      return enc.encode(JSON.stringify({ count: next }))
    }
    case 'flood':
      for (let i = 0; i < (req.lines ?? 0); i++) log.write('info', `line ${i}`)
      return enc.encode('flooded')
    case 'never':
      log.write('info', 'waiting forever')
      return new Promise<Uint8Array>(() => {})
    default:
      throw new Error(`unknown op ${req.op}`)
  }
}
