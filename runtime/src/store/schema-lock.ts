// One process per PostgreSQL schema: the same rule as dir-lock.ts for stores on a server. The
// lock is a session-level advisory lock keyed by the schema name, taken with
// pg_try_advisory_lock (a second opener is refused at once, never queued) on a connection of its
// own that lives as long as the store: session locks belong to the connection, so the pool's
// connections, which come and go, cannot hold it. The connection's application_name carries
// our pid and host, which is how a refused opener names the holder (pg_locks → pg_stat_activity).
//
// If that connection drops, PostgreSQL releases the lock and another process may take the schema
// while this one still writes through its pool. Nothing can prove otherwise afterwards, so a drop
// is reported to `onLost` (the store's owner stops the process: fail-stop), never silently
// re-acquired.
import { createHash } from 'node:crypto'
import { hostname } from 'node:os'
import postgres from 'postgres'
import { StoreLockedError, StoreLockLostError, type LockHolder } from './lock-errors.ts'

export type SchemaLock = { schema: string; release(): Promise<void> }

/** First key of the two-int advisory lock: 'NXS\0' keeps Nexus's locks apart from any other user's. */
const NEXUS_LOCK_CLASS = 0x4e585300

/** Second key: 31 bits of the schema name's hash (positive, so pg_locks shows it as is). */
export const schemaLockKey = (schema: string) => createHash('sha256').update(schema).digest().readUInt32BE(0) & 0x7fffffff

export type LockSchemaParameters = {
  databaseUrl: string
  schema: string
  /** Called once if the lock's connection drops while held. */
  onLost(error: StoreLockLostError): void
}

/** @example const lock = await lockSchema({ databaseUrl, schema: 'nexus_gateway', onLost: stop }) */
export async function lockSchema({ databaseUrl, schema, onLost }: LockSchemaParameters): Promise<SchemaLock> {
  const store = `PostgreSQL schema ${schema}`
  let held = false
  const client = postgres(databaseUrl, {
    max: 1,
    // postgres.js recycles connections after 30–60 min by default, and closes idle ones when asked: either would drop the lock (0 = never).
    idle_timeout: 0,
    max_lifetime: null,
    onnotice: () => {},
    // application_name is at most 63 bytes.
    connection: { application_name: `nexus pid=${process.pid} host=${hostname()}`.slice(0, 63) },
    onclose: () => {
      if (!held) return
      held = false
      onLost(new StoreLockLostError(store))
    },
  })
  const key = schemaLockKey(schema)
  try {
    const [row] = await client<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(${NEXUS_LOCK_CLASS}::int, ${key}::int) AS locked`
    if (!row?.locked) throw new StoreLockedError(store, await holderOf(client, key))
    held = true
  } catch (err) {
    await client.end({ timeout: 1 })
    throw err
  }
  let released: Promise<void> | undefined
  return {
    schema,
    release: () =>
      (released ??= (async () => {
        held = false
        // Ending the session releases the lock; unlocking first makes it visible even if end() is slow.
        await client`SELECT pg_advisory_unlock(${NEXUS_LOCK_CLASS}::int, ${key}::int)`.catch(() => {})
        await client.end({ timeout: 5 })
      })()),
  }
}

async function holderOf(client: postgres.Sql, key: number): Promise<LockHolder> {
  const rows = await client<{ application_name: string | null; client_addr: string | null }[]>`
    SELECT a.application_name, host(a.client_addr) AS client_addr
    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ${NEXUS_LOCK_CLASS}::bigint::oid AND l.objid = ${key}::bigint::oid AND l.objsubid = 2
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`
  const name = rows[0]?.application_name ?? ''
  const m = /^nexus pid=(\d+) host=(.*)$/.exec(name)
  if (m) return { pid: Number(m[1]), host: m[2] }
  return rows[0]?.client_addr ? { host: rows[0].client_addr } : {}
}
