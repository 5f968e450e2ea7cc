import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jetstreamManager } from '@nats-io/jetstream'
import { expect, test } from 'vitest'
import { createDatabase, type Database } from '../database/index.ts'
import { createLog } from './index.ts'
import { createJetStreamLog } from './jetstream/index.ts'
import { subjectsFor } from './jetstream/subjects.ts'
import { logConformance, type OpenedLog } from './log.case.ts'
import { sharedLogConformance } from './log-shared.case.ts'

/**
 * A SQL log; `another` is a second log instance over the same database handle: a SQL store is
 * locked to one gateway process (StoreLockedError for a second), so that is as shared as it gets.
 */
const sqlLog = (database: Database): OpenedLog => ({
  log: createLog(database),
  close: () => database.close(),
  another: async () => ({ log: createLog(database), close: async () => {} }),
})

const pglite = async () => sqlLog(await createDatabase())
logConformance('pglite', pglite)
sharedLogConformance('pglite', pglite, { dedupeWindowMs: 0 })

if (process.env.DATABASE_URL) {
  let n = 0
  const postgres = async () => {
    const schema = `gw_test_${process.pid}_${Date.now()}_${n++}`
    return sqlLog(await createDatabase({ databaseUrl: process.env.DATABASE_URL, schema }))
  }
  logConformance('postgres', postgres)
  sharedLogConformance('postgres', postgres, { dedupeWindowMs: 0 })
}

if (process.env.NATS_URL) {
  const servers = process.env.NATS_URL
  let n = 0
  /** A log under its own prefix; closing the first instance deletes its streams from the shared server. */
  const jetStream = (duplicateWindowMs?: number) => async (): Promise<OpenedLog> => {
    const prefix = `t${process.pid}_${Date.now()}_${n++}`
    const first = await createJetStreamLog({ servers, prefix, duplicateWindowMs })
    return {
      log: first.log,
      close: async () => {
        const jsm = await jetstreamManager(first.nc)
        for (const name of Object.values(subjectsFor(prefix).streams)) await jsm.streams.delete(name)
        await first.close()
      },
      another: () => createJetStreamLog({ servers, prefix, duplicateWindowMs }),
    }
  }
  logConformance('jetstream', jetStream())
  // A one-second Nats-Msg-Id window, waited out: the key must be held by the log's own records.
  sharedLogConformance('jetstream', jetStream(1000), { dedupeWindowMs: 1000 })
}

test('PGlite data directory: an appended invocation survives close and reopen', async () => {
  const dataDir = join(await mkdtemp(join(tmpdir(), 'nexus-gwlog-')), 'db')
  const h = `0x${'c3'.repeat(32)}`
  let database = await createDatabase({ dataDir })
  let log = createLog(database)
  await log.putArtifact(h, { name: 'f' }, 'AA==')
  await log.deployFunction('f', h)
  const { invocation } = await log.append({ functionId: 'f', input: '0xbeef', trigger: 'http', requestHash: 'r' })
  await database.close()
  database = await createDatabase({ dataDir })
  log = createLog(database)
  expect(await log.getInvocation(invocation.id)).toMatchObject({ seq: 1n, input: '0xbeef', state: 'pending' })
  await database.close()
})
