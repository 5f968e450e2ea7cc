// `evict`: which slots leave a lane's memory, and that a backlog is not walked at every answer.
import { expect, test } from 'vitest'
import type { Invocation } from '../log/index.ts'
import { createLane, evict, type Lane, type Slot } from './lane.ts'

const N = 4

function slot(lane: Lane, seq: number, settled: { answeredBy: number } | undefined): Slot {
  const s: Slot = { invocation: { seq: BigInt(seq) } as Invocation, responses: new Map(), disagreements: [] }
  if (settled) {
    s.attestedDigest = '0x01'
    s.recorded = true
    for (let r = 1; r <= settled.answeredBy; r++) s.responses.set(r, { replica: r, result: {} as never })
  }
  lane.slots.set(s.invocation.seq, s)
  return s
}

test('a recorded slot every replica answered leaves memory; one a replica still owes stays', () => {
  const lane = createLane('f', 0n, N, 256)
  const all = slot(lane, 1, { answeredBy: N })
  const owed = slot(lane, 2, { answeredBy: N - 1 })
  const pending = slot(lane, 3, undefined)
  for (const s of [all, owed, pending]) evict(lane, s, N)
  expect([...lane.slots.keys()]).toEqual([2n, 3n])
})

test('past 4,096 slots, settled ones a replica still owes are swept down to 2,048', () => {
  const lane = createLane('f', 0n, N, 256)
  for (let seq = 1; seq <= 5000; seq++) slot(lane, seq, { answeredBy: N - 1 })
  evict(lane, lane.slots.get(5000n)!, N)
  expect(lane.slots.size).toBe(2048)
  // The newest stay: they are the ones the late replica asks for next.
  expect(lane.slots.has(5000n)).toBe(true)
})

test('a backlog of unsettled slots is swept once per 2,048 answers, not at every answer', () => {
  const lane = createLane('f', 0n, N, 256)
  for (let seq = 1; seq <= 6000; seq++) slot(lane, seq, undefined)
  const owed = slot(lane, 6001, { answeredBy: N - 1 })
  evict(lane, owed, N) // the sweep finds nothing else settled
  expect(lane.slots.size).toBe(6000)
  // Settled after that sweep: it stays until the next one, 2,048 calls later.
  const late = slot(lane, 6002, { answeredBy: N - 1 })
  for (let k = 1; k < 2048; k++) evict(lane, late, N)
  expect(lane.slots.has(6002n)).toBe(true)
  evict(lane, late, N)
  expect(lane.slots.has(6002n)).toBe(false)
})
