import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { createDatabase } from '../database/index.ts'
import { createLog } from './index.ts'
import { logConformance } from './log.case.ts'

logConformance('pglite', () => createDatabase())
if (process.env.DATABASE_URL) {
  let n = 0
  logConformance('postgres', () => createDatabase({ databaseUrl: process.env.DATABASE_URL, schema: `gw_test_${process.pid}_${Date.now()}_${n++}` }))
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
