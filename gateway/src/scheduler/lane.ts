// A lane is one function's scheduling state: its invocations in memory ("slots", by seq), the
// batches cut over them, and each replica loop's position. Lanes of different functions share
// nothing, so a slow function never holds up another. A slot leaves memory once its outcome is in
// the log and every replica answered it; anything evicted is rebuilt from the log on demand.
import type { Hex } from 'viem'
import type { Disagreement } from '../database/index.ts'
import type { Invocation, Log } from '../log/index.ts'
import type { ReplicaExecuteRequest, ReplicaExecuteResult } from '../replicas/index.ts'
import type { LogLine } from '@nexus/protocol'

export type Response = { replica: number; result: ReplicaExecuteResult }
export type Slot = {
  invocation: Invocation
  responses: Map<number, Response>
  attestedDigest?: string
  disputed?: boolean
  disagreements: Disagreement[]
  firstSentAt?: number
  /** keccak256 of the invocation's input, computed once. */
  inputHash?: string
  /** Answers (digest, output, fields) already checked for this slot: replicas that agree are not re-hashed. */
  checked?: ReplicaExecuteResult[]
  /** Replicas sent this invocation in its first wave (see hedgeMs), and the signal for the rest. */
  sent?: number
  spares?: Spares
  /** The settled outcome is in the log (not only answered): the slot may leave memory. */
  recorded?: boolean
}
export type Spares = { release: () => void; released: Promise<void>; done: boolean }
export type BatchResponse = { root: Hex; share?: { index: number; signature: Hex }; results: ReplicaExecuteResult[]; invalid: boolean }
export type Batch = {
  start: bigint
  end: bigint
  responses: Map<number, BatchResponse>
  single: boolean
  settled: boolean
  /** Merkle roots already computed for a list of digests (agreeing replicas send the same list). */
  roots?: Map<string, Hex>
  /** performance.now() of its first send (the batch-size controller's clock). */
  sentAt?: number
  /** Replicas sent it while it was pending: its first wave (see hedgeBatch in spares.ts). */
  claims?: Set<number>
}
export type Lane = {
  functionId: string
  head: bigint
  slots: Map<bigint, Slot>
  batches: Map<bigint, Batch>
  cursors: (bigint | undefined)[]
  /** Set for every replica when a batch splits: its loop re-reads its position. */
  rewind: boolean[]
  /** Loops waiting as a batch spare (spares.ts): not the first wave, and not owed slots in memory. */
  spare: boolean[]
  /** performance.now() of the last submit or replica answer: a catching-up spare waits for quiet (spareQuietMs). */
  lastActivity: number
  /** Most seqs the next batch may hold (batch-size.ts). */
  batchCap: number
  /** `evict` calls left before it may sweep again (see there). */
  untilSweep: number
  wake: () => void
  waiting: Promise<void>
}

/**
 * The handler's log lines kept with an attested result: those of the first agreeing replica that ran
 * it (by determinism all of them logged the same; one answering from its record sends none).
 */
export function agreedLogs(agreeing: Iterable<ReplicaExecuteResult>, digest: string): LogLine[] {
  for (const r of agreeing) if (r.digest === digest && r.logs.length > 0) return r.logs
  return []
}

/** The replicas behind each root of a batch, counting only valid answers that carry a share. */
export function rootGroups(batch: Batch): Map<string, number[]> {
  const groups = new Map<string, number[]>()
  for (const [r, x] of batch.responses) if (!x.invalid && x.share) groups.set(x.root, [...(groups.get(x.root) ?? []), r])
  return groups
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
export const done = (slot: Slot) => slot.attestedDigest !== undefined || slot.disputed === true
// One request object per invocation object, so the replica loops all send the same one and its
// JSON is made once (replicas/batch-body.ts). A lane replaces an invocation it changes (an abort, a
// reset), never edits it, so a new invocation object gets a new request.
const requests = new WeakMap<Invocation, ReplicaExecuteRequest>()
export function requestOf(inv: Invocation): ReplicaExecuteRequest {
  let request = requests.get(inv)
  if (!request) {
    request = {
      functionId: inv.functionId,
      codeHash: inv.codeHash,
      seq: inv.seq,
      input: inv.input as Hex,
      trigger: inv.trigger,
      timestampMs: inv.timestampMs,
      chainId: inv.chainId ?? undefined,
      blockNumber: inv.blockNumber ?? undefined,
      ...(inv.abort ? { abort: inv.abort } : {}),
    }
    requests.set(inv, request)
  }
  return request
}

export function createLane(functionId: string, head: bigint, replicas: number, batchCap: number): Lane {
  const lane: Lane = {
    functionId,
    head,
    slots: new Map(),
    batches: new Map(),
    cursors: Array.from({ length: replicas }, () => undefined),
    rewind: Array.from({ length: replicas }, () => false),
    spare: Array.from({ length: replicas }, () => false),
    lastActivity: 0,
    batchCap,
    untilSweep: 0,
    wake: () => {},
    waiting: Promise.resolve(),
  }
  newSignal(lane)
  return lane
}

/** `lane.waiting` resolves at the next `lane.wake()`, which arms a fresh one. */
function newSignal(lane: Lane) {
  lane.waiting = new Promise((resolve) => {
    lane.wake = () => {
      resolve()
      newSignal(lane)
    }
  })
}

/** A slot for an invocation read from the log, settled or not as the log says. */
export function slotFromLog(invocation: Invocation): Slot {
  const slot: Slot = { invocation, responses: new Map(), disagreements: [...invocation.disagreements] }
  if (invocation.state === 'attested') slot.attestedDigest = String(invocation.result?.digest)
  if (invocation.state === 'disputed') slot.disputed = true
  return slot
}

export async function slotFor(log: Log, lane: Lane, seq: bigint): Promise<Slot | undefined> {
  let slot = lane.slots.get(seq)
  if (slot) return slot
  const invocation = await log.getBySeq(lane.functionId, seq)
  if (!invocation) return undefined
  slot = lane.slots.get(seq) // another loop may have loaded it meanwhile
  if (slot) return slot
  slot = slotFromLog(invocation)
  lane.slots.set(seq, slot)
  return slot
}

/** Slots start..end, loading the ones not in memory from the log in one query. */
export async function slotsFor(log: Log, lane: Lane, start: bigint, end: bigint): Promise<Slot[] | undefined> {
  const missing: bigint[] = []
  for (let s = start; s <= end; s++) if (!lane.slots.has(s)) missing.push(s)
  if (missing.length) {
    const rows = await log.range(lane.functionId, missing[0]! - 1n, Number(end - missing[0]! + 1n))
    for (const invocation of rows) {
      if (invocation.seq > end || lane.slots.has(invocation.seq)) continue
      lane.slots.set(invocation.seq, slotFromLog(invocation))
    }
  }
  const slots: Slot[] = []
  for (let s = start; s <= end; s++) {
    const slot = lane.slots.get(s)
    if (!slot) return undefined
    slots.push(slot)
  }
  return slots
}

/** Slots a lane keeps before sweeping out settled ones a replica has not answered yet, and what a sweep aims for. */
const SWEEP_ABOVE = 4096
const SWEEP_TO = 2048
/** Past this many slots a sweep also drops settled slots a live replica loop has yet to send (memory first). */
const SWEEP_OWED_ABOVE = 16_384

/** `n`: replicas in the network; a slot every one of them answered is no longer needed. */
export function evict(lane: Lane, slot: Slot, n: number) {
  if (done(slot) && slot.recorded && slot.responses.size >= n) lane.slots.delete(slot.invocation.seq)
  // A replica that is down (or a spare still catching up) keeps attested slots alive; they can be
  // rebuilt from the log. A sweep walks every slot, and a backlog's unsettled ones cannot go, so it
  // runs at most once per SWEEP_TO calls: sweeping at every answer walked the whole backlog each
  // time (≈ 10 % of the gateway's CPU in a 10,000-event backfill).
  if (lane.slots.size <= SWEEP_ABOVE || --lane.untilSweep > 0) return
  lane.untilSweep = SWEEP_TO
  // The slowest live loop (in a backfill, the fourth replica: t answers settle a slot without it)
  // sends settled slots next; dropping them made it reload each batch from the log (≈ 800 range
  // queries, ≈ 1 s of PGlite, in a 10,000-event backfill). A loop that is down has no cursor; a
  // batch spare waiting out a backlog catches up later, in batches as large as the cap, from the log.
  const live = lane.cursors.filter((c, j): c is bigint => c !== undefined && !lane.spare[j])
  const owedFrom = live.length && lane.slots.size <= SWEEP_OWED_ABOVE ? live.reduce((a, b) => (b < a ? b : a)) : undefined
  for (const [seq, s] of lane.slots) {
    if (lane.slots.size <= SWEEP_TO) break
    if (done(s) && (owedFrom === undefined || seq < owedFrom)) lane.slots.delete(seq)
  }
}

/**
 * Replica `replica`'s loop starts again (it threw): drop its answers to what is not settled, so the
 * answers it sends again count (a second answer from the same replica is otherwise ignored), and
 * let it re-read its position.
 */
export function forgetAnswers(lane: Lane, replica: number) {
  lane.cursors[replica - 1] = undefined
  lane.spare[replica - 1] = false
  for (const batch of lane.batches.values()) if (!batch.settled) batch.responses.delete(replica)
  for (const slot of lane.slots.values()) if (!done(slot)) slot.responses.delete(replica)
}

export function firstPending(lane: Lane): bigint {
  let min = lane.head + 1n
  for (const [seq, slot] of lane.slots) if (!done(slot) && seq < min) min = seq
  return min
}
