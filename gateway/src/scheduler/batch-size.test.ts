import { expect, test } from 'vitest'
import { nextBatchCap, type BatchOutcomeSample } from './batch-size.ts'

const options = { maxBatch: 256, maxBatchBacklog: 1024, batchTargetMs: 3000 }
const fast: BatchOutcomeSample = { size: 256, elapsedMs: 800, agreed: true, backlog: true }

test('full, fast, agreeing batches behind a backlog grow the cap up to maxBatchBacklog', () => {
  let cap = options.maxBatch
  const caps: number[] = []
  for (let k = 0; k < 4; k++) caps.push((cap = nextBatchCap(cap, { ...fast, size: cap }, options)))
  expect(caps).toEqual([512, 1024, 1024, 1024])
})

test('no backlog, a batch short of the cap, or one at the target keep it; a slow one halves it; a disagreement resets it', () => {
  expect(nextBatchCap(512, { ...fast, size: 512, backlog: false }, options)).toBe(512)
  expect(nextBatchCap(512, { ...fast, size: 100 }, options)).toBe(512)
  expect(nextBatchCap(512, { ...fast, size: 512, elapsedMs: 5000 }, options)).toBe(512)
  expect(nextBatchCap(1024, { ...fast, size: 1024, elapsedMs: 7000 }, options)).toBe(512)
  expect(nextBatchCap(256, { ...fast, elapsedMs: 7000 }, options)).toBe(256)
  expect(nextBatchCap(1024, { ...fast, size: 1024, agreed: false }, options)).toBe(256)
  // maxBatch 1 (batching off) stays off whatever maxBatchBacklog says.
  expect(nextBatchCap(1, { ...fast, size: 1 }, { ...options, maxBatch: 1 })).toBe(1)
})
