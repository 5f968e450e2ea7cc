// Minimal reader/writer for the parts of the core wasm binary format we patch directly
// (binaryen.js has no setter for one memory's maximum that keeps data segments intact).

export function readLeb(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0
  let shift = 0
  let pos = offset
  for (;;) {
    const byte = bytes[pos++]
    if (byte === undefined) throw new RangeError('truncated LEB128')
    value += (byte & 0x7f) * 2 ** shift
    if ((byte & 0x80) === 0) return { value, next: pos }
    shift += 7
  }
}

export function writeLeb(value: number): number[] {
  const out: number[] = []
  do {
    let byte = value % 128
    value = Math.floor(value / 128)
    if (value > 0) byte |= 0x80
    out.push(byte)
  } while (value > 0)
  return out
}

const MEMORY_SECTION = 5

/**
 * Sets the maximum of every memory the module defines to at most `maxPages` (64 KiB pages).
 * A memory.grow past it fails inside the guest, so an allocation bomb becomes a deterministic
 * error instead of exhausting the host.
 */
export function capMemories(module: Uint8Array, maxPages: number): Uint8Array {
  const parts: Uint8Array[] = [module.subarray(0, 8)]
  let pos = 8
  while (pos < module.length) {
    const id = module[pos]!
    const size = readLeb(module, pos + 1)
    const start = size.next
    const end = start + size.value
    if (id !== MEMORY_SECTION) {
      parts.push(module.subarray(pos, end))
    } else {
      const count = readLeb(module, start)
      const body: number[] = [...writeLeb(count.value)]
      let p = count.next
      for (let i = 0; i < count.value; i++) {
        const flags = module[p++]!
        if (flags & ~0x01) throw new RangeError(`memory ${i}: shared or 64-bit memories are not supported`)
        const min = readLeb(module, p)
        p = min.next
        let max = maxPages
        if (flags & 0x01) {
          const declared = readLeb(module, p)
          p = declared.next
          max = Math.min(declared.value, maxPages)
        }
        if (min.value > max) throw new RangeError(`memory ${i} needs ${min.value} pages, over the cap of ${max}`)
        body.push(0x01, ...writeLeb(min.value), ...writeLeb(max))
      }
      parts.push(Uint8Array.of(MEMORY_SECTION, ...writeLeb(body.length), ...body))
    }
    pos = end
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** Bytes in a core module's code section(s); 0 when it has none or is not a module this can read. */
export function codeBytes(module: Uint8Array): number {
  let total = 0
  let offset = 8
  try {
    while (offset < module.length) {
      const id = module[offset]!
      const { value: size, next } = readLeb(module, offset + 1)
      if (id === 10) total += size
      offset = next + size
    }
  } catch {
    return 0
  }
  return total
}
