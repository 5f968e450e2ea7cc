// Hello, Nexus: a counter kept in the function's KV state. Every invocation is ordered by the
// gateway, executed by every replica, and returned with a t-of-n threshold signature.
// Input (optional JSON): { "name": "world", "by": 1 }. Output JSON: { greeting, count, seq }.
import * as env from 'nexus:function/env@0.1.0'
import * as kv from 'nexus:function/kv@0.1.0'

const enc = new TextEncoder()
const dec = new TextDecoder()

export function handle(input: Uint8Array): Uint8Array {
  const text = dec.decode(input).trim()
  const req = (text ? JSON.parse(text) : {}) as { name?: string; by?: number }
  if (req.by !== undefined && !Number.isSafeInteger(req.by)) throw new Error('"by" must be an integer')
  const stored = kv.get('count')
  const count = (stored ? Number(dec.decode(stored)) : 0) + (req.by ?? 1)
  kv.set('count', enc.encode(String(count)))
  const seq = env.invocation().seq.toString()
  return enc.encode(JSON.stringify({ greeting: `hello, ${req.name ?? 'world'}`, count, seq }))
}
