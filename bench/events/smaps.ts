// Where a process's resident memory is, from /proc/<pid>/smaps (Linux): summed by the kind of
// mapping, so a change can be pinned on the part it moved.
// - WebAssembly memories: V8 reserves ≥ 8 GiB per 32-bit memory (guard pages that make bounds
//   checks free); the accessible part is a read-write mapping directly followed by an inaccessible
//   one of at least 1 GiB. (A block malloc mapped on its own right below such a reservation counts
//   here too: seen as a few extra entries of 2–11 MB.)
// - malloc: the main arena ([heap], grown by brk) and the other arenas (mappings of ≤ 64 MiB at
//   64 MiB-aligned addresses: glibc's HEAP_MAX_SIZE).
// - other anonymous memory: V8's heaps and code spaces, thread stacks, large mmapped allocations.
// - file mappings: the node binary, shared libraries.
import { readFileSync } from 'node:fs'

export type SmapsSummary = {
  /** Sum of the mappings' resident bytes (VmRSS). */
  rss: number
  /** Resident bytes of WebAssembly memories (PGlite's, the guests', the signer's). */
  wasm: number
  /** Each WebAssembly memory's resident bytes, largest first. */
  wasmMemories: number[]
  /** Resident bytes of malloc's arenas. */
  malloc: number
  /** Other anonymous resident bytes: V8 heaps and code, stacks, large mmapped allocations. */
  otherAnon: number
  /** Resident bytes of file mappings (the node binary, shared libraries, mapped files). */
  file: number
}

type Mapping = { start: number; end: number; perms: string; inode: string; name: string; rss: number }

const GIB = 1024 ** 3
const ARENA = 64 * 1024 ** 2

function mappings(text: string): Mapping[] {
  const out: Mapping[] = []
  for (const line of text.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$/.exec(line)
    if (header) {
      out.push({ start: Number.parseInt(header[1]!, 16), end: Number.parseInt(header[2]!, 16), perms: header[3]!, inode: header[4]!, name: header[5]!, rss: 0 })
      continue
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line)
    if (rss && out.length > 0) out[out.length - 1]!.rss = Number(rss[1]) * 1024
  }
  return out
}

/** Summary of a process's resident memory by mapping kind; undefined once it has exited. */
export function smapsSummary(pid: number | 'self' = 'self'): SmapsSummary | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8')
  } catch {
    return undefined
  }
  const maps = mappings(text)
  const out: SmapsSummary = { rss: 0, wasm: 0, wasmMemories: [], malloc: 0, otherAnon: 0, file: 0 }
  maps.forEach((m, i) => {
    out.rss += m.rss
    const next = maps[i + 1]
    const guarded = next !== undefined && next.start === m.end && next.perms.startsWith('---') && next.end - next.start >= GIB
    if (m.inode !== '0') out.file += m.rss
    else if (m.perms.startsWith('rw') && guarded) {
      out.wasm += m.rss
      if (m.rss >= 1024 ** 2) out.wasmMemories.push(m.rss)
    } else if (m.name === '[heap]' || (m.start % ARENA === 0 && m.end - m.start <= ARENA && m.name === '')) out.malloc += m.rss
    else out.otherAnon += m.rss
  })
  out.wasmMemories.sort((a, b) => b - a)
  return out
}

const mb = (bytes: number) => (bytes / 1024 ** 2).toFixed(0)

/** `312 = wasm 150 (128+20+2) + malloc 90 + other anon 30 + file 42` (MB). */
export function formatSmaps(s: SmapsSummary): string {
  return `${mb(s.rss)} = wasm ${mb(s.wasm)} (${s.wasmMemories.map(mb).join('+')}) + malloc ${mb(s.malloc)} + other anon ${mb(s.otherAnon)} + file ${mb(s.file)}`
}
