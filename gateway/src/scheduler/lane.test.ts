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

/** `count` slots settled by replicas 1–3 only; replicas 1–3 past them, replica 4's loop at `fourth`. */
function owedToTheFourth(count: number, fourth: bigint | undefined): Lane {
  const lane = createLane('f', 0n, N, 256)
  for (let seq = 1; seq <= count; seq++) slot(lane, seq, { answeredBy: N - 1 })
  lane.head = BigInt(count)
  lane.cursors = [lane.head + 1n, lane.head + 1n, lane.head + 1n, fourth]
  evict(lane, lane.slots.get(lane.head)!, N)
  return lane
}

test('settled slots a live but slower replica loop has yet to send stay, up to 16,384 slots', () => {
  // Replica 4's loop is live and at seq 1001 (a backfill's fourth).
  const lane = owedToTheFourth(5000, 1001n)
  expect(lane.slots.size).toBe(4000)
  expect(lane.slots.has(1000n)).toBe(false)
  expect(lane.slots.has(1001n)).toBe(true)
  // Its loop goes down: nothing is owed to a loop without a cursor (the next sweep, 2,048 answers on).
  for (let seq = 5001; seq <= 5200; seq++) slot(lane, seq, { answeredBy: N - 1 })
  lane.cursors = [5201n, 5201n, 5201n, undefined]
  for (let k = 0; k < 2048; k++) evict(lane, lane.slots.get(5200n)!, N)
  expect(lane.slots.size).toBe(2048)
})

test('past 16,384 slots a sweep drops settled slots even when a live loop has yet to send them', () => {
  expect(owedToTheFourth(20_000, 1n).slots.size).toBe(2048)
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
