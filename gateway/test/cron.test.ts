// The cron parser (5-field, UTC) and the ticker on a real gateway log (PGlite, and PostgreSQL when
// DATABASE_URL is set): one invocation per tick, never twice across restarts, bounded catch-up.
import { afterEach, describe, expect, test } from 'vitest'
import { decodeTriggerPayload } from '@nexus/protocol'
import { createDatabase, type Database } from '../src/database/index.ts'
import { createLog } from '../src/log/index.ts'
import type { Invocation } from '../src/log/index.ts'
import { createCronTicker, InvalidCronScheduleError, nextCronTick, parseCronSchedule } from '../src/cron/index.ts'

const at = (iso: string) => Date.parse(iso)
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString())
const next = (schedule: string, after: string) => iso(nextCronTick(parseCronSchedule(schedule), at(after)))

describe('parseCronSchedule / nextCronTick', () => {
  test.each([
    ['*/5 * * * *', '2026-01-01T00:00:00.000Z', '2026-01-01T00:05:00.000Z'],
    ['*/5 * * * *', '2026-01-01T00:03:59.999Z', '2026-01-01T00:05:00.000Z'],
    ['0 * * * *', '2026-01-01T10:00:00.000Z', '2026-01-01T11:00:00.000Z'],
    ['30 9 * * MON-FRI', '2026-01-02T09:30:00.000Z', '2026-01-05T09:30:00.000Z'], // Fri → next Mon
    ['0 0 1 * *', '2026-01-15T00:00:00.000Z', '2026-02-01T00:00:00.000Z'],
    ['0 0 29 2 *', '2026-03-01T00:00:00.000Z', '2028-02-29T00:00:00.000Z'], // leap day
    ['15,45 3-4 * * *', '2026-01-01T03:45:00.000Z', '2026-01-01T04:15:00.000Z'],
    ['0 12 * JAN,jul SUN', '2026-01-01T00:00:00.000Z', '2026-01-04T12:00:00.000Z'],
    ['0 0 * * 7', '2026-01-01T00:00:00.000Z', '2026-01-04T00:00:00.000Z'], // 7 = Sunday
    ['0 0 13 * 5', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'], // dom OR dow: Friday 2nd
    ['10/20 * * * *', '2026-01-01T00:31:00.000Z', '2026-01-01T00:50:00.000Z'],
    ['0-10/5 * * * *', '2026-01-01T00:10:00.000Z', '2026-01-01T01:00:00.000Z'],
  ])('%s after %s → %s', (schedule, after, expected) => {
    expect(next(schedule, after)).toBe(expected)
  })

  test('a schedule that never fires within 5 years gives undefined', () => {
    expect(next('0 0 31 2 *', '2026-01-01T00:00:00.000Z')).toBeUndefined()
  })

  test.each([
    ['* * * *', /5 fields/],
    ['60 * * * *', /minute field "60" has 60, outside 0-59/],
    ['* 24 * * *', /hour field/],
    ['* * 0 * *', /day-of-month field/],
    ['* * * 13 *', /month field/],
    ['* * * * 8', /day-of-week field/],
    ['*/0 * * * *', /step "0"/],
    ['5-1 * * * *', /runs backwards/],
    ['@hourly * * * *', /minute field/],
    ['L * * * *', /not a number/],
    ['1,,2 * * * *', /malformed/],
  ])('rejects %s', (schedule, message) => {
    expect(() => parseCronSchedule(schedule)).toThrow(InvalidCronScheduleError)
    expect(() => parseCronSchedule(schedule)).toThrow(message)
  })
})

const backends: [string, () => Promise<Database>][] = [['pglite', () => createDatabase()]]
if (process.env.DATABASE_URL) {
  let n = 0
  backends.push(['postgres', () => createDatabase({ databaseUrl: process.env.DATABASE_URL, schema: `gw_cron_${process.pid}_${Date.now()}_${n++}` })])
}

describe.each(backends)('cron ticker on %s', (_name, open) => {
  let database: Database | undefined
  afterEach(async () => {
    await database?.close()
    database = undefined
  })

  async function setup() {
    database = await open()
    const log = createLog(database)
    const hash = `0x${'ab'.repeat(32)}`
    await log.putArtifact(
      hash,
      {
        name: 'ticking',
        codeHash: hash,
        triggers: [
          { kind: 'cron', schedule: '*/5 * * * *' },
          { kind: 'route', method: 'GET', path: '/x' },
        ],
      },
      'AA==',
    )
    await log.deployFunction('ticking', hash)
    const plain = `0x${'cd'.repeat(32)}`
    await log.putArtifact(plain, { name: 'plain', codeHash: plain }, 'AA==')
    await log.deployFunction('plain', plain)
    return { log, db: database.db }
  }

  test('one invocation per tick with the tick as its clock; a restarted ticker neither repeats nor loses ticks', async () => {
    const { log, db } = await setup()
    let clock = at('2026-01-01T00:01:00.000Z')
    const submitted: Invocation[] = []
    const make = () => createCronTicker({ log, db, submit: (i) => submitted.push(i), now: () => clock })
    let ticker = make()
    expect(await ticker.tick()).toBe(0) // first sight: starts after now
    clock = at('2026-01-01T00:05:00.000Z')
    expect(await ticker.tick()).toBe(1)
    clock = at('2026-01-01T00:09:59.000Z')
    expect(await ticker.tick()).toBe(0)
    clock = at('2026-01-01T00:16:00.000Z')
    expect(await ticker.tick()).toBe(2) // 00:10 and 00:15
    // A second ticker over the same log (a restart, or two gateways) appends nothing already there.
    ticker = make()
    expect(await ticker.tick()).toBe(0)
    clock = at('2026-01-01T00:21:00.000Z')
    expect(await ticker.tick()).toBe(1)

    const rows = await log.range('ticking', 0n, 100)
    expect(rows.map((r) => iso(Number(r.timestampMs)))).toEqual(['05', '10', '15', '20'].map((m) => `2026-01-01T00:${m}:00.000Z`))
    expect(rows.every((r) => r.trigger === 'cron')).toBe(true)
    expect(submitted.map((r) => r.seq)).toEqual([1n, 2n, 3n, 4n])
    const payload = decodeTriggerPayload('cron', Buffer.from(rows[0]!.input.slice(2), 'hex'))
    expect(payload).toEqual({ kind: 'cron', schedule: '*/5 * * * *', scheduledAtMs: String(at('2026-01-01T00:05:00.000Z')) })
    expect(rows[0]!.idempotencyKey).toBe(`cron:*/5 * * * *:${at('2026-01-01T00:05:00.000Z')}`)
    expect(await log.range('plain', 0n, 10)).toEqual([])
  }, 60_000)

  test('after downtime at most maxCatchUp missed ticks fire, the most recent ones, oldest first', async () => {
    const { log, db } = await setup()
    let clock = at('2026-01-01T00:04:00.000Z')
    const make = () => createCronTicker({ log, db, submit: () => {}, now: () => clock, maxCatchUp: 3 })
    const first = make()
    await first.tick()
    clock = at('2026-01-01T00:05:00.000Z')
    expect(await first.tick()).toBe(1)
    clock = at('2026-01-01T01:02:00.000Z') // down for an hour: 11 ticks missed (00:10 … 01:00)
    expect(await make().tick()).toBe(3)
    const rows = await log.range('ticking', 0n, 100)
    expect(rows.map((r) => iso(Number(r.timestampMs))!.slice(11, 16))).toEqual(['00:05', '00:50', '00:55', '01:00'])
  }, 60_000)
})
