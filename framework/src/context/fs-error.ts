// The one error `ctx.fs` throws: which call, which path, what went wrong and what to do, instead of
// the WIT world's bare error code. Safe to load in Node and inside a component (no host imports).
import { NexusError } from '@nexus/protocol'

/** The `error-code` enum of the `nexus:function/fs` interface (protocol/wit/nexus.wit). */
export type FsErrorKind = 'not-found' | 'exists' | 'not-a-directory' | 'is-a-directory' | 'not-empty' | 'invalid-path' | 'bad-descriptor' | 'too-large'

const KINDS: readonly string[] = ['not-found', 'exists', 'not-a-directory', 'is-a-directory', 'not-empty', 'invalid-path', 'bad-descriptor', 'too-large']

const HINTS: Record<FsErrorKind, string> = {
  'not-found': 'no such file or directory (create the parent directory with fs.mkdir first)',
  exists: 'it already exists',
  'not-a-directory': 'a part of the path is a file, not a directory',
  'is-a-directory': 'it is a directory, not a file',
  'not-empty': 'the directory is not empty',
  'invalid-path':
    'the path is not allowed: paths are rooted at the function\'s own "/" and ".." may not climb above it; backslashes, NUL, paths over maxKeyBytes and removing or renaming "/" itself are refused',
  'bad-descriptor': 'the file is not open for this operation',
  'too-large': "the file would exceed the function's maxFileBytes limit",
}

/** A failed `ctx.fs` call. `kind` is the host's error code; `payload` keeps it under the name the raw WIT binding used. */
export class FsError extends NexusError {
  override name = 'FsError'
  override code = 'NEXUS_FS_ERROR'
  readonly kind: FsErrorKind
  readonly payload: FsErrorKind
  readonly path: string

  /** `otherPath`: the second path of `rename`. */
  constructor(operation: string, path: string, kind: FsErrorKind, otherPath?: string) {
    const args = [path, ...(otherPath === undefined ? [] : [otherPath])].map((p) => JSON.stringify(p)).join(', ')
    super(`fs.${operation}(${args}): ${kind}: ${HINTS[kind]}`)
    this.kind = kind
    this.payload = kind
    this.path = path
  }
}

/** The WIT error code a host fs call threw (jco lowers `err(code)` to a thrown `{ payload: code }`), if it is one. */
export function fsErrorKind(thrown: unknown): FsErrorKind | undefined {
  const payload = (thrown as { payload?: unknown } | null)?.payload
  return typeof payload === 'string' && KINDS.includes(payload) ? (payload as FsErrorKind) : undefined
}
