// The `nexus:function` imports as jco expects them. They are bound once per instance and reach
// the running invocation through `current()`, because a pristine instance is reused.
import type { InvocationContext } from './invocation-context.ts'
import { GuestFault } from './faults.ts'
import { normalizePath, parentOf, utf8Length } from './paths.ts'
import { keccak_256 } from '@noble/hashes/sha3.js'
import type { ChainAnswer, ChainReadRequest } from '../chain/requests.ts'

type FsCode = 'not-found' | 'exists' | 'not-a-directory' | 'is-a-directory' | 'not-empty' | 'invalid-path' | 'bad-descriptor' | 'too-large'
type OpenFlags = { read?: boolean; write?: boolean; create?: boolean; truncate?: boolean; append?: boolean; exclusive?: boolean }
type Descriptor = { path: string; pos: number; readable: boolean; writable: boolean; append: boolean }

/** A typed fs error: jco lowers a thrown `{ payload }` into the `err` case of the result. */
function fsError(code: FsCode): never {
  throw { payload: code }
}

export function createHostImports(current: () => InvocationContext) {
  let descriptors = new Map<number, Descriptor>()
  let nextFd = 3
  let owner: InvocationContext | undefined

  /** Descriptors belong to one invocation; a reused instance starts with none. */
  function fds(): Map<number, Descriptor> {
    const ctx = current()
    if (owner !== ctx) {
      owner = ctx
      descriptors = new Map()
      nextFd = 3
    }
    return descriptors
  }

  function checkKey(ctx: InvocationContext, key: string): void {
    if (utf8Length(key) > ctx.limits.maxKeyBytes) throw new GuestFault(`key longer than ${ctx.limits.maxKeyBytes} bytes`)
  }

  function resolve(path: string): string {
    const ctx = current()
    if (utf8Length(path) > ctx.limits.maxKeyBytes) fsError('invalid-path')
    const normalized = normalizePath(path)
    if (normalized === undefined) fsError('invalid-path')
    return normalized
  }

  function requireDir(path: string): void {
    const entry = current().overlay.entry(path)
    if (!entry) fsError('not-found')
    if (entry.kind !== 'dir') fsError('not-a-directory')
  }

  function descriptor(fd: number): Descriptor {
    const d = fds().get(fd)
    if (!d) fsError('bad-descriptor')
    return d
  }

  function fileData(path: string): Uint8Array {
    const entry = current().overlay.entry(path)
    if (!entry) fsError('not-found')
    if (entry.kind !== 'file') fsError('is-a-directory')
    return entry.data
  }

  const kv = {
    get(key: string): Uint8Array | undefined {
      const ctx = current()
      checkKey(ctx, key)
      const value = ctx.overlay.kvGet(key)
      ctx.charge(key.length + (value?.length ?? 0))
      return value ?? undefined
    },
    set(key: string, value: Uint8Array): void {
      const ctx = current()
      checkKey(ctx, key)
      if (value.length > ctx.limits.maxValueBytes) throw new GuestFault(`kv value larger than ${ctx.limits.maxValueBytes} bytes`)
      ctx.charge(key.length + value.length)
      ctx.overlay.kvSet(key, new Uint8Array(value))
    },
    delete(key: string): boolean {
      const ctx = current()
      checkKey(ctx, key)
      ctx.charge(key.length)
      const existed = ctx.overlay.kvGet(key) !== null
      ctx.overlay.kvSet(key, null)
      return existed
    },
    scan(prefix: string, startAfter: string | undefined, limit: number): [string, Uint8Array][] {
      const ctx = current()
      checkKey(ctx, prefix)
      const rows = ctx.overlay.kvScan(prefix, startAfter ?? null, Math.min(limit, 1000))
      ctx.charge(rows.reduce((n, [k, v]) => n + k.length + v.length, 0))
      return rows
    },
  }

  const fs = {
    open(path: string, mode: OpenFlags): number {
      const ctx = current()
      ctx.charge(path.length)
      const p = resolve(path)
      if (p === '') fsError('is-a-directory')
      const entry = ctx.overlay.entry(p)
      if (entry?.kind === 'dir') fsError('is-a-directory')
      if (entry && mode.create && mode.exclusive) fsError('exists')
      if (!entry) {
        if (!mode.create) fsError('not-found')
        requireDir(parentOf(p))
        ctx.overlay.put(p, { kind: 'file', data: new Uint8Array(0) })
      } else if (mode.truncate && (mode.write || mode.append)) {
        ctx.overlay.put(p, { kind: 'file', data: new Uint8Array(0) })
      }
      const fd = nextFdFor()
      fds().set(fd, { path: p, pos: 0, readable: mode.read ?? !mode.write, writable: !!(mode.write || mode.append), append: !!mode.append })
      return fd
    },
    read(fd: number, len: number): Uint8Array {
      const d = descriptor(fd)
      if (!d.readable) fsError('bad-descriptor')
      const data = fileData(d.path)
      const chunk = data.slice(d.pos, d.pos + Math.min(len, 1 << 20))
      current().charge(chunk.length)
      d.pos += chunk.length
      return chunk
    },
    write(fd: number, bytes: Uint8Array): number {
      const ctx = current()
      const d = descriptor(fd)
      if (!d.writable) fsError('bad-descriptor')
      const data = fileData(d.path)
      const pos = d.append ? data.length : d.pos
      const size = Math.max(data.length, pos + bytes.length)
      if (size > ctx.limits.maxFileBytes) fsError('too-large')
      ctx.charge(bytes.length)
      // In place: a 1-byte write into a 16 MiB file must not copy the file (overlay.ts).
      ctx.overlay.writeFile(d.path, pos, bytes)
      d.pos = pos + bytes.length
      return bytes.length
    },
    seek(fd: number, offset: bigint | number): void {
      current().charge(0)
      // Past the largest file a write fails with too-large anyway; keep the position a safe integer.
      descriptor(fd).pos = Number(BigInt(offset) > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : offset)
    },
    close(fd: number): void {
      current().charge(0)
      descriptor(fd)
      fds().delete(fd)
    },
    stat(path: string): { kind: 'file' | 'directory'; size: bigint } {
      const ctx = current()
      ctx.charge(path.length)
      const entry = ctx.overlay.entry(resolve(path))
      if (!entry) fsError('not-found')
      return entry.kind === 'dir' ? { kind: 'directory', size: 0n } : { kind: 'file', size: BigInt(entry.data.length) }
    },
    readdir(path: string): string[] {
      const ctx = current()
      const p = resolve(path)
      requireDir(p)
      const names = ctx.overlay.children(p)
      ctx.charge(names.reduce((n, s) => n + s.length, 0))
      return names
    },
    mkdir(path: string): void {
      const ctx = current()
      ctx.charge(path.length)
      const p = resolve(path)
      if (p === '' || ctx.overlay.entry(p)) fsError('exists')
      requireDir(parentOf(p))
      ctx.overlay.put(p, { kind: 'dir' })
    },
    unlink(path: string): void {
      const ctx = current()
      ctx.charge(path.length)
      const p = resolve(path)
      if (p === '') fsError('invalid-path')
      const entry = ctx.overlay.entry(p)
      if (!entry) fsError('not-found')
      if (entry.kind === 'dir' && ctx.overlay.children(p).length > 0) fsError('not-empty')
      ctx.overlay.put(p, null)
    },
    rename(src: string, dst: string): void {
      const ctx = current()
      ctx.charge(src.length + dst.length)
      const from = resolve(src)
      const to = resolve(dst)
      if (from === '' || to === '') fsError('invalid-path')
      if (from === to) return
      if (to.startsWith(from + '/')) fsError('invalid-path')
      const entry = ctx.overlay.entry(from)
      if (!entry) fsError('not-found')
      requireDir(parentOf(to))
      const target = ctx.overlay.entry(to)
      if (target?.kind === 'dir' && ctx.overlay.children(to).length > 0) fsError('not-empty')
      if (target && target.kind !== entry.kind) fsError(target.kind === 'dir' ? 'is-a-directory' : 'not-a-directory')
      if (entry.kind === 'dir') {
        for (const path of ctx.overlay.descendants(from)) {
          ctx.overlay.put(to + path.slice(from.length), ctx.overlay.entry(path))
          ctx.overlay.put(path, null)
        }
      }
      ctx.overlay.put(to, entry)
      ctx.overlay.put(from, null)
    },
  }

  function nextFdFor(): number {
    fds()
    return nextFd++
  }

  const log = {
    write(level: string, message: string): void {
      const ctx = current()
      ctx.charge(message.length)
      ctx.logs.write(level, message)
    },
  }

  const env = {
    now(): bigint {
      const ctx = current()
      ctx.charge(0)
      return ctx.info.timestampMs
    },
    randomBytes(len: number): Uint8Array {
      const ctx = current()
      if (len > 1 << 16) throw new GuestFault('random-bytes: at most 65536 bytes per call')
      ctx.chargeRandom(len)
      return ctx.randomBytes(len)
    },
    invocation() {
      current().charge(0)
      const { functionId, seq, trigger, chainId, blockNumber } = current().info
      return { functionId, seq, trigger, chainId, blockNumber }
    },
  }

  // Chain reads are answered by the main thread, pinned to the invocation's block (see
  // runtime/src/chain). `{ err }` answers are deterministic (revert, bad argument, no pinned block)
  // and reach the handler as the `err` case; an RPC failure aborts the invocation on the main side.
  function chainRead(request: ChainReadRequest, argumentBytes: number): string {
    const ctx = current()
    ctx.charge(argumentBytes)
    const answer = ctx.read<ChainAnswer>(request)
    const text = 'ok' in answer ? answer.ok : answer.err
    ctx.charge(text.length)
    if ('err' in answer) throw { payload: answer.err }
    return text
  }
  const chain = {
    call: (to: string, data: string): string => chainRead({ op: 'chain.call', to, data }, to.length + data.length),
    getBalance: (address: string): string => chainRead({ op: 'chain.balance', address }, address.length),
    getLogs: (filter: string): string => chainRead({ op: 'chain.logs', filter }, filter.length),
  }

  // Guest bundles route keccak here (build/guest-keccak.ts): hashing natively costs a few µs where
  // the interpreted noble in QuickJS costs ≈ 230,000 fuel per block. Charged before hashing, so an
  // input too large for the fuel left ends as out of fuel without being hashed.
  const crypto = {
    keccak256(data: Uint8Array): Uint8Array {
      current().chargeKeccak(data.length)
      return keccak_256(data)
    },
  }

  // The guest prelude's TextEncoder and TextDecoder (build/guest-prelude.ts). Priced as moving the
  // bytes both ways. The prelude passes well-formed strings only; a decode keeps a byte order mark,
  // as the prelude's own decoder did before this import existed.
  const utf8 = new TextEncoder()
  const utf8Text = new TextDecoder('utf-8', { ignoreBOM: true })
  const text = {
    utf8Encode(s: string): Uint8Array {
      // Encoded before it is priced: one pass over the string, and the work is no more than copying it.
      const bytes = utf8.encode(s)
      current().charge(2 * bytes.length)
      return bytes
    },
    utf8Decode(bytes: Uint8Array): string {
      current().charge(2 * bytes.length)
      return utf8Text.decode(bytes)
    },
  }

  const imports = { kv, fs, log, env, chain, crypto, text }
  return Object.fromEntries(
    Object.entries(imports).flatMap(([name, impl]) => [
      [`nexus:function/${name}`, impl],
      [`nexus:function/${name}@0.1.0`, impl],
    ]),
  )
}
