import { expect, test } from 'vitest'
import { FIRST_LOG_STEP, MAX_LOG_STEP, nextLogStep } from './log-step.ts'

test('a sink starts at one block, doubles while its ranges hold at most half a run, halves above two runs, and stays in 1..MAX_LOG_STEP', () => {
  expect(FIRST_LOG_STEP).toBe(1n)
  expect(nextLogStep(1n, 0, 1000)).toBe(2n)
  expect(nextLogStep(2n, 500, 1000)).toBe(4n)
  expect(nextLogStep(4n, 501, 1000)).toBe(4n) // between half a run and two runs: kept
  expect(nextLogStep(4n, 2000, 1000)).toBe(4n)
  expect(nextLogStep(4n, 2001, 1000)).toBe(2n)
  expect(nextLogStep(1n, 10_000, 1000)).toBe(1n) // one dense block: never below one
  expect(nextLogStep(400n, 0, 1000)).toBe(MAX_LOG_STEP)
  expect(nextLogStep(MAX_LOG_STEP, 0, 1000)).toBe(MAX_LOG_STEP)
  // From one block, an empty history reaches the cap in nine calls.
  let step = FIRST_LOG_STEP
  let calls = 0
  while (step < MAX_LOG_STEP) (step = nextLogStep(step, 0, 1000)), calls++
  expect(calls).toBe(9)
})
