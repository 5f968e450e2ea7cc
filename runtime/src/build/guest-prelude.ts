import { guestPromise } from './guest-promise.ts'

// Prepended to every bundled JS handler. QuickJS has no TextEncoder/TextDecoder; handlers
// need UTF-8 for JSON in and out, so we supply both, on the host's conversions.
// Also: clock and randomness must come from the invocation, never from the engine, or replicas
// would disagree (and the stubbed WASI clock traps). Date and Math.random are rebound to `env`.
export const guestPrelude = `${guestPromise}
import { now as __nexusNow, randomBytes as __nexusRandomBytes } from 'nexus:function/env@0.1.0';
import { write as __nexusLogWrite } from 'nexus:function/log@0.1.0';
import { utf8Encode as __nexusUtf8Encode, utf8Decode as __nexusUtf8Decode } from 'nexus:function/text@0.1.0';
{
  const RealDate = Date
  const nowMs = () => Number(__nexusNow())
  function NexusDate(...args) {
    if (!new.target) return new RealDate(nowMs()).toString()
    return args.length === 0 ? new RealDate(nowMs()) : new RealDate(...args)
  }
  NexusDate.prototype = RealDate.prototype
  NexusDate.now = nowMs
  NexusDate.parse = RealDate.parse
  NexusDate.UTC = RealDate.UTC
  globalThis.Date = NexusDate
  Math.random = () => {
    const b = __nexusRandomBytes(7)
    let x = b[0] & 0x1f
    for (let i = 1; i < 7; i++) x = x * 256 + b[i]
    return x / 2 ** 53
  }
}
// The first frame of a stack (QuickJS: \`    at fn (/handler.js:LINE:COL)\`) that the bundle's source
// table (source-table.ts, project builds only) maps into a project file, as \`handlers/a.ts:12:5\`.
globalThis.__nexusSourceLocation = (stack) => {
  const table = globalThis.__nexusSourceTable
  if (!table || typeof stack !== 'string') return undefined
  for (const frame of stack.split('\\n')) {
    const m = /:(\\d+):(\\d+)\\)?\\s*$/.exec(frame)
    const segments = m && table.lines[m[1]]
    if (!segments) continue
    const column = Number(m[2]) - 1
    let at = 0
    for (let i = 4; i < segments.length && segments[i] <= column; i += 4) at = i
    return table.files[segments[at + 1]] + ':' + (segments[at + 2] + 1) + ':' + (segments[at + 3] + 1)
  }
  return undefined
}
// The component bindings lower only a returned Uint8Array and a thrown Error or string; anything else
// (a thrown object, a string or number returned) trapped as "unreachable". Entries call the handler
// through this, so those become handler errors that say what happened. An async handler's Promise is
// settled here: the prelude's job queue (guest-promise.ts) is drained before the export returns, and
// a Promise still pending then can never settle (host calls are synchronous) — a handler error.
globalThis.__nexusRunHandler = (run) => {
  const describe = (v) => {
    if (v === null || typeof v !== 'object') return typeof v === 'string' ? JSON.stringify(v.slice(0, 200)) : String(v)
    try { return (Object.getPrototypeOf(v)?.constructor?.name ?? 'Object') + ' ' + String(JSON.stringify(v)).slice(0, 200) } catch { return Object.prototype.toString.call(v) }
  }
  const located = (e) => {
    const message = typeof e.message === 'string' && e.message ? e.message : ''
    const name = typeof e.name === 'string' && e.name ? e.name : 'Error'
    const at = __nexusSourceLocation(e.stack)
    return at ? name + (message ? ': ' + message : '') + ' (' + at + ')' : message || name
  }
  const rethrow = (e) => {
    const message = e instanceof Error ? located(e) : typeof e === 'string' ? e : 'handler threw a non-Error value: ' + describe(e)
    // A project build (it has a source table) also logs it, so the console of \`nexus dev\` shows it.
    if (globalThis.__nexusSourceTable) __nexusLogWrite('error', message)
    throw new Error(message)
  }
  let out
  __nexusClearJobs()
  try {
    out = run()
    __nexusDrainJobs()
  } catch (e) {
    __nexusClearJobs()
    rethrow(e)
  }
  if (out !== null && typeof out === 'object' && typeof out.then === 'function') {
    let state = 'pending'
    let value
    try {
      out.then((v) => { state = 'fulfilled'; value = v }, (e) => { state = 'rejected'; value = e })
      __nexusDrainJobs()
    } catch (e) {
      __nexusClearJobs()
      rethrow(e)
    }
    if (state === 'pending') {
      throw new Error('handler returned a Promise that never settled: it awaits something that no host call or promise of the handler settles')
    }
    if (state === 'rejected') rethrow(value)
    out = value
  }
  if (out instanceof Uint8Array) return out
  throw new Error('handler returned ' + (out === null ? 'null' : typeof out) + ' instead of a Uint8Array: ' + describe(out))
}
// UTF-8 both ways on the host (nexus:function/text): the engine moves the string into and out of its
// memory natively, where a byte loop interpreted here cost 18–120 fuel a byte (an event payload's
// decode ≈ 15,000, a 125-character JSON result's encode ≈ 14,000). A lone surrogate is replaced
// before it crosses, as the Encoding Standard says: the engine would pass it as three bytes, which
// the host would read as three U+FFFD.
if (typeof globalThis.TextEncoder === 'undefined') {
  globalThis.TextEncoder = class TextEncoder {
    get encoding() { return 'utf-8' }
    encode(input = '') {
      const s = String(input)
      return __nexusUtf8Encode(s.isWellFormed() ? s : s.toWellFormed())
    }
  }
}
if (typeof globalThis.TextDecoder === 'undefined') {
  globalThis.TextDecoder = class TextDecoder {
    get encoding() { return 'utf-8' }
    decode(input) {
      if (input instanceof Uint8Array) return __nexusUtf8Decode(input)
      if (ArrayBuffer.isView(input)) return __nexusUtf8Decode(new Uint8Array(input.buffer, input.byteOffset, input.byteLength))
      return __nexusUtf8Decode(new Uint8Array(input ?? []))
    }
  }
}
`
