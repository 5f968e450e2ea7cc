// The invocation's view of state: reads fall through to committed storage (over the sync
// channel), writes stay here until the invocation succeeds and the main thread commits them.
import type { FileEntry, ReadRequest } from './sync-channel.ts'
import { baseName, compareBytes, parentOf } from './paths.ts'

export type Reader = <T>(request: ReadRequest) => T

export type WriteSet = {
  kv: [key: string, value: Uint8Array | null][]
  files: [path: string, entry: FileEntry | null][]
}

export class StateOverlay {
  private readonly kv = new Map<string, Uint8Array | null>()
  private readonly kvRead = new Map<string, Uint8Array | null>()
  private readonly files = new Map<string, FileEntry | null>()
  private readonly fileRead = new Map<string, FileEntry | null>()

  constructor(private readonly read: Reader) {}

  kvGet(key: string): Uint8Array | null {
    if (this.kv.has(key)) return this.kv.get(key)!
    if (!this.kvRead.has(key)) this.kvRead.set(key, this.read<Uint8Array | null>({ op: 'kv.get', key }))
    return this.kvRead.get(key)!
  }

  kvSet(key: string, value: Uint8Array | null): void {
    this.kv.set(key, value)
  }

  kvScan(prefix: string, startAfter: string | null, limit: number): [string, Uint8Array][] {
    const pending = [...this.kv].filter(([k]) => k.startsWith(prefix) && (startAfter === null || compareBytes(k, startAfter) > 0))
    // Over-fetch by the number of keys this invocation touched, so deletions cannot starve the page.
    const stored = this.read<[string, Uint8Array][]>({ op: 'kv.scan', prefix, startAfter, limit: limit + pending.length })
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
    if (!this.fileRead.has(path)) this.fileRead.set(path, this.read<FileEntry | null>({ op: 'fs.get', path }))
    return this.fileRead.get(path)!
  }

  put(path: string, entry: FileEntry | null): void {
    this.files.set(path, entry)
  }

  /** Names directly inside `dir`, sorted in byte order. */
  children(dir: string): string[] {
    const names = new Set(this.read<string[]>({ op: 'fs.children', dir }))
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
    const paths = new Set(this.read<string[]>({ op: 'fs.descendants', dir }))
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
      files: [...this.files].sort((a, b) => compareBytes(a[0], b[0])),
    }
  }
}
