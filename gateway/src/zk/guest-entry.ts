// The generated entry of a handler file's zk guest component: all author code of a zk function runs
// here, inside the deterministic runtime (QuickJS; no I/O, clock = 0, randomness seeded from the
// call), never in the gateway's Node process. `handle(input)` takes one JSON call:
//   { "op": "describe" }                                → { ok, functions: [{ name, circuit, signals, publicSignals, description }] }
//   { "op": "inputs", "name", "request" }                → { ok, inputs }  (validated, normalised circuit inputs)
//   { "op": "output", "name", "publicSignals": [...] }   → { ok, output }  (the declaration's `output`)
// and answers `{ ok: false, error }` when author code throws, so that becomes a typed error result.

/** What the guest reports about one zk export. */
export type GuestFunction = {
  name: string
  circuit: string
  signals: Record<string, unknown>
  publicSignals: string[]
  description?: string
}

export type GuestError = { shortMessage: string; problems?: string[]; details?: string }

/** Guest → host replies, by op. */
export type GuestReply<T> = ({ ok: true } & T) | { ok: false; error: GuestError }

/** ES module source that imports `handlerPath` and serves its zk exports. */
export function guestEntrySource(handlerPath: string): string {
  return `import * as handler from ${JSON.stringify(handlerPath)}
const encoder = new TextEncoder()
const decoder = new TextDecoder()
const reply = (value) => encoder.encode(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)))
const isZk = (v) => v !== null && typeof v === 'object' && v.kind === 'zk' && typeof v.mapInputs === 'function'
const failure = (err, fallback) => {
  const e = err && typeof err === 'object' ? err : { message: String(err) }
  return { ok: false, error: {
    shortMessage: String(e.shortMessage ?? e.message ?? fallback),
    problems: Array.isArray(e.problems) ? e.problems.map(String) : undefined,
    details: typeof e.details === 'string' ? e.details : undefined,
  } }
}
export function handle(input) {
  const call = JSON.parse(decoder.decode(input))
  if (call.op === 'describe') {
    const functions = Object.keys(handler).filter((name) => isZk(handler[name])).map((name) => {
      const fn = handler[name]
      return { name, circuit: fn.circuit, signals: fn.signals, publicSignals: [...fn.publicSignals], description: fn.description }
    })
    return reply({ ok: true, functions })
  }
  const fn = Object.prototype.hasOwnProperty.call(handler, call.name) ? handler[call.name] : undefined
  if (!isZk(fn)) return reply({ ok: false, error: { shortMessage: 'No zk function "' + String(call.name) + '" in this handler file.' } })
  try {
    if (call.op === 'inputs') return reply({ ok: true, inputs: fn.mapInputs(call.request) })
    if (call.op === 'output') return reply({ ok: true, output: fn.decodeOutput(call.publicSignals) })
  } catch (err) {
    return reply(failure(err, 'The zk function failed.'))
  }
  return reply({ ok: false, error: { shortMessage: 'Unknown op "' + String(call.op) + '".' } })
}
`
}
