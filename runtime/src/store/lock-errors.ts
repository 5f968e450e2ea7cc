// The errors of "one process per state" (dir-lock.ts, schema-lock.ts): a second process that
// opens a data directory or a PostgreSQL schema already in use is refused at once, told who holds
// it, and the holder learns when it can no longer prove it is the only writer.
import { NexusError } from '@nexus/protocol'

/** Who holds a lock, as far as it could be learned (the holder says so itself when it is alive). */
export type LockHolder = { pid?: number; host?: string; startedAt?: string }

const describe = (h: LockHolder) =>
  h.pid === undefined
    ? 'another process (its pid could not be read)'
    : `process ${h.pid}${h.host ? ` on ${h.host}` : ''}${h.startedAt ? ` (since ${h.startedAt})` : ''}`

/** The data directory or schema is open in another process: two writers would hand out the same seqs. */
export class StoreLockedError extends NexusError {
  override name = 'StoreLockedError'
  override code = 'NEXUS_STORE_LOCKED'
  constructor(
    readonly store: string,
    readonly holder: LockHolder,
  ) {
    super(`${store} is in use by ${describe(holder)}.`, {
      metaMessages: ['Only one gateway or replica may open a state at a time. Stop the other process, or give this one its own directory or schema.'],
    })
  }
}

/** The connection holding a schema's advisory lock dropped: another process may take the schema now. */
export class StoreLockLostError extends NexusError {
  override name = 'StoreLockLostError'
  override code = 'NEXUS_STORE_LOCK_LOST'
  constructor(
    readonly store: string,
    cause?: unknown,
  ) {
    super(`Lost the lock on ${store}: this process can no longer prove it is the only writer and must stop.`, { cause })
  }
}
