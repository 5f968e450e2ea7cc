// The bounds on what a handler logs per invocation (issue 17): counted the same way on every replica,
// kept lines are a prefix of what was logged, and a final line says how many were dropped.
import { expect, test } from 'vitest'
import { LogLines, MAX_LOG_BYTES, MAX_LOG_LINE_CHARS, MAX_LOG_LINES } from '../src/sandbox/log-lines.ts'

test('within the bounds every line is kept as logged, with no marker', () => {
  const logs = new LogLines()
  logs.write('debug', 'a')
  logs.write('error', 'ünïcode ✓')
  expect(logs.result()).toEqual([
    { level: 'debug', message: 'a' },
    { level: 'error', message: 'ünïcode ✓' },
  ])
})

test('past 100 lines the rest are dropped and counted in one final warn line', () => {
  const logs = new LogLines()
  for (let i = 0; i < MAX_LOG_LINES + 5; i++) logs.write('info', `line ${i}`)
  const lines = logs.result()
  expect(lines).toHaveLength(MAX_LOG_LINES + 1)
  expect(lines[MAX_LOG_LINES - 1]).toEqual({ level: 'info', message: `line ${MAX_LOG_LINES - 1}` })
  expect(lines.at(-1)).toEqual({ level: 'warn', message: 'log truncated: 5 more lines dropped (at most 100 lines and 16384 bytes per invocation)' })
})

test('past 16 KiB of UTF-8 the rest are dropped, even a short line after a long one', () => {
  const logs = new LogLines()
  const line = 'é'.repeat(2000) // 4000 bytes
  for (let i = 0; i < 5; i++) logs.write('info', line)
  logs.write('info', 'short')
  const lines = logs.result()
  expect(lines.slice(0, 4).every((l) => l.message === line)).toBe(true)
  expect(lines).toHaveLength(5)
  expect(lines[4]!.message).toBe('log truncated: 2 more lines dropped (at most 100 lines and 16384 bytes per invocation)')
  expect(4 * Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LOG_BYTES)
})

test('one long line is cut and marked; an unknown level is logged as info', () => {
  const logs = new LogLines()
  logs.write('trace', 'x'.repeat(MAX_LOG_LINE_CHARS + 10))
  expect(logs.result()).toEqual([{ level: 'info', message: `${'x'.repeat(MAX_LOG_LINE_CHARS)}…` }])
})
