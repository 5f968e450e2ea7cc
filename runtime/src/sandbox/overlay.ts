// The invocation's view of state: reads fall through to committed storage (over the sync
// channel), writes stay here until the invocation succeeds and the main thread commits them.
// Writes into a file go into a buffer this overlay owns (grown by doubling), so a small write into
// a big file costs the bytes written, not a copy of the file; the file is copied once, at its first
// change in the invocation. Every read from storage and every write is reported to the meter,
// which prices it and enforces the per-invocation write caps.
import type { FileEntry, ReadRequest } from './sync-channel.ts'
import { baseName, compareBytes, parentOf } from './paths.ts'

export type Reader = <T>(request: ReadRequest) => T

export type WriteSet = {
  kv: [key: string, value: Uint8Array | null][]
  files: [path: string, entry: FileEntry | null][]
}

/** Prices what the overlay does; may throw (out of fuel, write cap) to end the invocation. */
export type OverlayMeter = {
  /** `bytes` came from committed storage. */
  read(bytes: number): void
  /** A write of `bytes`; `firstWrite` when this key or path was not written before in this invocation. */
  write(firstWrite: boolean, bytes: number): void
}

const freeMeter: OverlayMeter = { read() {}, write() {} }

export class StateOverlay {
  private readonly kv = new Map<string, Uint8Array | null>()
  private readonly kvRead = new Map<string, Uint8Array | null>()
  private readonly files = new Map<string, FileEntry | null>()
  private readonly fileRead = new Map<string, FileEntry | null>()
  /** Files changed by `writeFile`: their bytes live in `buf[0, len)`, spare capacity after. */
  private readonly owned = new Map<string, { buf: Uint8Array; len: number }>()

  constructor(
    private readonly read: Reader,
    private readonly meter: OverlayMeter = freeMeter,
  ) {}

  kvGet(key: string): Uint8Array | null {
    if (this.kv.has(key)) return this.kv.get(key)!
    if (!this.kvRead.has(key)) {
      const value = this.read<Uint8Array | null>({ op: 'kv.get', key })
      this.meter.read(key.length + (value?.length ?? 0))
      this.kvRead.set(key, value)
    }
    return this.kvRead.get(key)!
  }

  kvSet(key: string, value: Uint8Array | null): void {
    this.meter.write(!this.kv.has(key), key.length + (value?.length ?? 0))
    this.kv.set(key, value)
  }

  kvScan(prefix: string, startAfter: string | null, limit: number): [string, Uint8Array][] {
    const pending = [...this.kv].filter(([k]) => k.startsWith(prefix) && (startAfter === null || compareBytes(k, startAfter) > 0))
    // Over-fetch by the number of keys this invocation touched, so deletions cannot starve the page.
    const stored = this.read<[string, Uint8Array][]>({ op: 'kv.scan', prefix, startAfter, limit: limit + pending.length })
    this.meter.read(stored.reduce((n, [k, v]) => n + k.length + v.length, 0))
    const merged = new Map<string, Uint8Array | null>(stored)
    for (const [k, v] of pending) merged.set(k, v)
    return [...merged]
      .filter((e): e is [string, Uint8Array] => e[1] !== null)
      .sort((a, b) => compareBytes(a[0], b[0]))
      .slice(0, limit)
  }

  /** The entry at `path` ('' is the root directory), or null. */
  entry(path: string): FileEntry | null {
    if (path === '') return { kind: 'dir' }
    if (this.files.has(path)) return this.files.get(path)!
    if (!this.fileRead.has(path)) {
      const entry = this.read<FileEntry | null>({ op: 'fs.get', path })
      this.meter.read(path.length + (entry?.kind === 'file' ? entry.data.length : 0))
      this.fileRead.set(path, entry)
    }
    return this.fileRead.get(path)!
  }

  /** Replaces the entry at `path` (null removes it). The commit stores the whole entry: it is priced by its size. */
  put(path: string, entry: FileEntry | null): void {
    this.meter.write(!this.files.has(path), entry?.kind === 'file' ? entry.data.length : 0)
    this.owned.delete(path)
    this.files.set(path, entry)
  }

  /**
   * Writes `bytes` at `pos` into the file at `path` (which must be a file), in place. The first
   * change of a file in this invocation copies it once and is priced by its size (the commit hashes
   * and stores the whole file); later writes cost only their bytes. Returns the new size.
   */
  writeFile(path: string, pos: number, bytes: Uint8Array): number {
    let file = this.owned.get(path)
    const end = pos + bytes.length
    if (!file) {
      const current = this.entry(path)
      if (current?.kind !== 'file') throw new Error(`writeFile: ${path} is not a file`)
      this.meter.write(!this.files.has(path), current.data.length + bytes.length)
      const buf = new Uint8Array(Math.max(end, current.data.length))
      buf.set(current.data)
      file = { buf, len: current.data.length }
      this.owned.set(path, file)
    } else {
      this.meter.write(false, bytes.length)
    }
    if (end > file.buf.length) {
      // Doubling keeps n appends O(n) in total; bytes past `len` stay zero (a seek past the end reads zeros).
      const grown = new Uint8Array(Math.max(end, file.buf.length * 2))
      grown.set(file.buf.subarray(0, file.len))
      file.buf = grown
    }
    file.buf.set(bytes, pos)
    file.len = Math.max(file.len, end)
    this.files.set(path, { kind: 'file', data: file.buf.subarray(0, file.len) })
    return file.len
  }

  /** Names directly inside `dir`, sorted in byte order. */
  children(dir: string): string[] {
    const stored = this.read<string[]>({ op: 'fs.children', dir })
    this.meter.read(stored.reduce((n, name) => n + name.length, 0))
    const names = new Set(stored)
    for (const [path, entry] of this.files) {
      if (path === '' || parentOf(path) !== dir) continue
      if (entry) names.add(baseName(path))
      else names.delete(baseName(path))
    }
    return [...names].sort(compareBytes)
  }

  /** Every path strictly under `dir`, with overlay changes applied. */
  descendants(dir: string): string[] {
    const under = (p: string) => p.startsWith(dir + '/')
    const stored = this.read<string[]>({ op: 'fs.descendants', dir })
    this.meter.read(stored.reduce((n, path) => n + path.length, 0))
    const paths = new Set(stored)
    for (const [path, entry] of this.files) {
      if (!under(path)) continue
      if (entry) paths.add(path)
      else paths.delete(path)
    }
    return [...paths].sort(compareBytes)
  }

  /** Everything written, in byte order of keys and paths so the commit is the same everywhere. */
  writeSet(): WriteSet {
    return {
      kv: [...this.kv].sort((a, b) => compareBytes(a[0], b[0])),
      // Changed files are views of a larger buffer: hand over exact copies (posting a view would clone the whole buffer).
      files: [...this.files]
        .map(([path, entry]): [string, FileEntry | null] => [
          path,
          entry?.kind === 'file' && entry.data.byteLength !== entry.data.buffer.byteLength ? { kind: 'file', data: entry.data.slice() } : entry,
        ])
        .sort((a, b) => compareBytes(a[0], b[0])),
    }
  }
}
