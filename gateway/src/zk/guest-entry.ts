// The generated entry of a handler file's zk guest component. Its `handle(input)` takes
// `{"name": <export>, "request": <JSON>}` and returns the validated circuit inputs as JSON, or the
// structured input error, so a throwing mapping becomes a typed error result on the host.
// Everything here runs inside the deterministic runtime (QuickJS): no I/O, clock = 0, seeded random.

/** Guest → host reply of the zk input component. */
export type GuestReply =
  | { ok: true; inputs: Record<string, string | string[]> }
  | { ok: false; error: { shortMessage: string; problems?: string[]; details?: string } }

/** ES module source that imports `handlerPath` and maps requests through its zk exports. */
export function guestEntrySource(handlerPath: string): string {
  return `import * as handler from ${JSON.stringify(handlerPath)}
const encoder = new TextEncoder()
const decoder = new TextDecoder()
const reply = (value) => encoder.encode(JSON.stringify(value))
export function handle(input) {
  const { name, request } = JSON.parse(decoder.decode(input))
  const fn = Object.prototype.hasOwnProperty.call(handler, name) ? handler[name] : undefined
  if (!fn || fn.kind !== 'zk' || typeof fn.mapInputs !== 'function') {
    return reply({ ok: false, error: { shortMessage: 'No zk function "' + String(name) + '" in this handler file.' } })
  }
  try {
    return reply({ ok: true, inputs: fn.mapInputs(request) })
  } catch (err) {
    const e = err && typeof err === 'object' ? err : { message: String(err) }
    return reply({ ok: false, error: {
      shortMessage: String(e.shortMessage ?? e.message ?? 'The request could not be mapped to circuit inputs.'),
      problems: Array.isArray(e.problems) ? e.problems.map(String) : undefined,
      details: typeof e.details === 'string' ? e.details : undefined,
    } })
  }
}
`
}
