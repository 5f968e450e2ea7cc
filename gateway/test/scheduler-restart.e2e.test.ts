// A restarted gateway resends what its log holds pending even when every replica already applied
// it (the gateway died after the replicas answered and before it recorded the result). Its
// replica loops place their cursor at the lower of the replica's next seq and the lane's first
// pending one, so the lane must know the log's pending seqs before any loop runs. It once did not:
// the loops started while the pending rows were still being read, and on PostgreSQL (slower
// reads than in-process PGlite) they placed their cursors past those seqs, which then stayed
// pending forever. The log's reads are slowed here so the order cannot hide the bug.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gte } from 'drizzle-orm'
import { afterAll, expect, test } from 'vitest'
import { loadWasmCurve, verifyResult } from '@nexus/protocol/attest'
import { createDatabase, type Database } from '../src/database/index.ts'
import { invocations } from '../src/database/schema.ts'
import { createLog, type Log } from '../src/log/index.ts'
import { createMetrics } from '../src/metrics.ts'
import { createReplicaClient } from '../src/replicas/index.ts'
import { createScheduler, type Scheduler } from '../src/scheduler/index.ts'
import { startInProcessStack, type InProcessStack } from './inprocess-stack.ts'
import { API_KEY, deploy, helloArtifact } from './stack.ts'
import { until } from './triggers.stack.ts'

const COUNT = 8
const REOPENED_FROM = 4n
let stack: InProcessStack | undefined
let scheduler: Scheduler | undefined
let database: Database | undefined

afterAll(async () => {
  await scheduler?.stop()
  await database?.close()
  await stack?.close()
})

test('pending seqs every replica already applied are resent after a restart, and attested', async () => {
  const dataDir = join(await mkdtemp(join(tmpdir(), 'nexus-sched-restart-')), 'gateway')
  stack = await startInProcessStack({ gateway: { database: { dataDir }, apiKeys: [API_KEY] } })
  expect((await deploy(stack.url, await helloArtifact())).status).toBe(201)
  for (let k = 0; k < COUNT; k++) {
    const res = await fetch(`${stack.url}/v1/functions/hello/invoke?mode=async`, { method: 'POST', body: JSON.stringify({ name: `n${k}` }) })
    expect(res.status).toBe(202)
  }
  const attested = (log: Log) => async () => {
    const all = await log.range('hello', 0n, 100)
    return all.length === COUNT && all.every((r) => r.state === 'attested') ? all : undefined
  }
  await until(`all ${COUNT} attested`, attested(stack.gateway.log), 60_000)
  await stack.gateway.close()

  // The replicas applied seqs 1..COUNT; the log "lost" the results of the later ones.
  database = await createDatabase({ dataDir })
  const before = (await createLog(database).range('hello', 0n, 100)).map((r) => r.result?.digest)
  expect(before).toHaveLength(COUNT)
  await database.db.update(invocations).set({ state: 'pending', result: null }).where(gte(invocations.seq, REOPENED_FROM))
  const log = createLog(database)
  const slowReads: Log = {
    ...log,
    range: async (...args) => {
      await new Promise((r) => setTimeout(r, 300))
      return log.range(...args)
    },
  }
  const { gatewayKey, network, replicaUrls } = stack
  scheduler = createScheduler({
    log: slowReads,
    replicas: replicaUrls.map((url, i) => createReplicaClient({ index: i + 1, url, gatewayKey })),
    network,
    metrics: createMetrics(),
    curve: await loadWasmCurve(),
  })
  await scheduler.start()

  const rows = await until(`all ${COUNT} attested again`, attested(log), 30_000)
  for (const row of rows) expect((await verifyResult(row.result, network, { functionId: 'hello' })).ok, `seq ${row.seq}`).toBe(true)
  // Re-served from the replicas' records of the first run, not run again: the same digests.
  expect(rows.map((r) => r.result?.digest)).toEqual(before)
}, 120_000)
