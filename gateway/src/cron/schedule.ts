// Standard 5-field cron schedules (minute hour day-of-month month day-of-week), evaluated in UTC.
// Supported: `*`, numbers, lists `a,b`, ranges `a-b`, steps `*/n` `a-b/n` `a/n`, month and weekday
// names (JAN..DEC, SUN..SAT), weekday 7 = Sunday. As in Vixie cron, when both day-of-month and
// day-of-week are restricted a day matches if EITHER does. No seconds field, no `@hourly` macros,
// no `L`/`W`/`#`: a schedule using them is rejected with the field that failed.
import { NexusError } from '@nexus/protocol'

export class InvalidCronScheduleError extends NexusError {
  override name = 'InvalidCronScheduleError'
  override code = 'INVALID_CRON_SCHEDULE'
}

export type CronSchedule = {
  source: string
  minutes: ReadonlySet<number>
  hours: ReadonlySet<number>
  daysOfMonth: ReadonlySet<number>
  months: ReadonlySet<number>
  daysOfWeek: ReadonlySet<number>
  /** `*` in day-of-month / day-of-week (affects the OR rule above). */
  anyDayOfMonth: boolean
  anyDayOfWeek: boolean
}

type Field = { name: string; min: number; max: number; names?: string[] }

const FIELDS: Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
]

/** Parses a schedule; throws InvalidCronScheduleError naming the bad field. */
export function parseCronSchedule(source: string): CronSchedule {
  const parts = source.trim().split(/\s+/)
  if (parts.length !== 5)
    throw new InvalidCronScheduleError(`Cron schedule "${source}" must have 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}.`)
  const sets = parts.map((part, i) => parseField(part, FIELDS[i]!, source))
  const daysOfWeek = new Set([...sets[4]!].map((d) => (d === 7 ? 0 : d)))
  return {
    source,
    minutes: sets[0]!,
    hours: sets[1]!,
    daysOfMonth: sets[2]!,
    months: sets[3]!,
    daysOfWeek,
    anyDayOfMonth: parts[2] === '*',
    anyDayOfWeek: parts[4] === '*',
  }
}

function parseField(part: string, field: Field, source: string): Set<number> {
  const fail = (why: string): never => {
    throw new InvalidCronScheduleError(`Cron schedule "${source}": ${field.name} field "${part}" ${why}.`)
  }
  const value = (text: string): number => {
    const named = field.names?.indexOf(text.toUpperCase()) ?? -1
    if (named >= 0) return named + (field.name === 'month' ? 1 : 0)
    if (!/^\d{1,2}$/.test(text)) fail(`has "${text}", not a number${field.names ? ' or name' : ''}`)
    const n = Number(text)
    if (n < field.min || n > field.max) fail(`has ${n}, outside ${field.min}-${field.max}`)
    return n
  }
  const out = new Set<number>()
  for (const item of part.split(',')) {
    const [range, stepText, extra] = item.split('/')
    if (extra !== undefined || range === undefined || range === '') fail('is malformed')
    let step = 1
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText) || Number(stepText) === 0) fail(`has step "${stepText}", expected a positive number`)
      step = Number(stepText)
    }
    let from: number
    let to: number
    if (range === '*') {
      ;[from, to] = [field.min, field.max]
    } else if (range!.includes('-')) {
      const [a, b, more] = range!.split('-')
      if (more !== undefined || !a || !b) fail('has a malformed range')
      ;[from, to] = [value(a!), value(b!)]
      if (from > to) fail(`has a range ${from}-${to} that runs backwards`)
    } else {
      from = value(range!)
      // `a/n` means "from a to the end, every n" (as in Vixie cron).
      to = stepText === undefined ? from : field.max
    }
    for (let n = from; n <= to; n += step) out.add(n)
  }
  return out
}

const MINUTE = 60_000

function dayMatches(s: CronSchedule, date: Date): boolean {
  if (!s.months.has(date.getUTCMonth() + 1)) return false
  const dom = s.daysOfMonth.has(date.getUTCDate())
  const dow = s.daysOfWeek.has(date.getUTCDay())
  if (s.anyDayOfMonth && s.anyDayOfWeek) return true
  if (s.anyDayOfMonth) return dow
  if (s.anyDayOfWeek) return dom
  return dom || dow
}

/**
 * The first tick strictly after `afterMs` (ms since the epoch, UTC), or undefined when none falls
 * within the next 5 years (e.g. `0 0 31 2 *`). Walks day by day, then hour and minute, so even a
 * yearly schedule costs a few thousand steps.
 */
export function nextCronTick(s: CronSchedule, afterMs: number): number | undefined {
  const start = Math.floor(afterMs / MINUTE) * MINUTE + MINUTE
  const limit = start + 5 * 366 * 24 * 60 * MINUTE
  let day = new Date(start)
  day.setUTCHours(0, 0, 0, 0)
  for (; day.getTime() < limit; day = new Date(day.getTime() + 24 * 60 * MINUTE)) {
    if (!dayMatches(s, day)) continue
    for (const hour of [...s.hours].sort((a, b) => a - b)) {
      for (const minute of [...s.minutes].sort((a, b) => a - b)) {
        const t = day.getTime() + (hour * 60 + minute) * MINUTE
        if (t >= start) return t
      }
    }
  }
  return undefined
}
