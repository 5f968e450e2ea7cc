// A handler's return value → the result's output bytes. JSON is produced by the engine's own
// JSON.stringify, identical on every replica since the component and input are identical.

const encoder = () => new TextEncoder()

/** JSON with bigints as decimal strings and Uint8Arrays as 0x-hex. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString()
    if (v instanceof Uint8Array) return `0x${Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('')}`
    return v
  })
}

export function encodeOutput(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (value === undefined) return new Uint8Array(0)
  if (typeof value === 'string') return encoder().encode(value)
  return encoder().encode(toJson(value))
}
