// Quorum scheduler. Per function a "lane": every replica has its own loop that sends the
// function's invocations to that replica strictly in seq order (the replica rejects gaps with
// SEQ_GAP, and re-serves seqs it already applied). Shares are grouped by digest; once `t` shares
// agree they are combined and the attested result written to the log. Lanes of different
// functions run concurrently; a down, slow or wrong replica only stalls its own loop.
//
// Batching (docs/protocol.md §4): when several seqs are pending, the first loop to reach them cuts
// a batch [start, end] (up to MAX_BATCH) and every replica is sent that same range, executes it in
// one transaction and signs one share over the Merkle root of the digests. t equal roots → one
// combine, every result recorded with its inclusion proof. When no root can reach t any more, the
// batch falls back to one-by-one attestation. When no digest of a single invocation can reach t,
// it is settled as disputed and the lane goes on.
//
// Spares (hedgeMs, spareCatchUpMs): a single invocation goes to the first t replica loops; the rest
// get it only if those need help. A spare that finds invocations attested without it applies them
// later, as one batch, once the function is quiet or spareCatchUpMs has passed, so that its work
// does not compete with the next invocation's first wave for the same CPUs.
import type { Hex } from 'viem'
import { keccak256, STATUS_NAMES as STATUS } from '@nexus/protocol'
import {
  combineShares,
  combineSharesUnverified,
  decodeG2,
  findInvalidSignatures,
  hashToG1,
  merkleRoot,
  merkleTree,
  createAttestedResult,
  resultDigest,
  TooFewSignersError,
  type AttestedResult,
  type G1Point,
  type Network,
  type ResultFields,
} from '@nexus/protocol/attest'
import type { Disagreement } from '../database/index.ts'
import type { WasmCurve } from '@nexus/protocol/attest'
// Internal: with the curve's test, remembers a point found in the subgroup, so findInvalidSignatures does not check it again.
import { assertInSubgroup } from '@nexus/protocol/attest'
import type { Invocation, Log } from '../log/index.ts'
import type { Metrics } from '../metrics.ts'
import type { ReplicaClient, ReplicaExecuteRequest, ReplicaExecuteResult } from '../replicas/index.ts'
import { bindVersions, createDivergenceTracker } from './divergence.ts'
import { createWatchdogAborts } from './watchdog.ts'

export type Scheduler = ReturnType<typeof createScheduler>

export type CreateSchedulerParameters = {
  log: Log
  replicas: ReplicaClient[]
  network: Network
  metrics: Metrics
  /** Most seqs per batch. Default: 256 (1 disables batching). */
  maxBatch?: number
  /** Request body budget of one batch, bytes (the replica accepts 32 MiB; inputs travel as hex). Default: 16 MiB. */
  maxBatchBytes?: number
  /** Backoff bounds for an unavailable replica, ms. Default: 25 → 2000. */
  backoff?: { minMs: number; maxMs: number }
  /**
   * Check a single invocation's combined signature before answering waiters (true), or answer as
   * soon as t matching shares combine and check right after, batched, before recording (false).
   * Default: false — see docs/gateway.md "Answer first, check before recording".
   */
  verifyBeforeAnswer?: boolean
  /**
   * How long combined signatures wait to be checked together, ms: the pairing (≈ 5 ms with `curve`,
   * 15–25 ms with noble) is shared by everything combined meanwhile, so one-at-a-time traffic pays it
   * once per ~200 ms instead of once per invocation. Default: 200 (0 with verifyBeforeAnswer).
   */
  checkDelayMs?: number
  /**
   * A single invocation goes to the first `t` replicas that reach it; the other `n − t` are sent it
   * once those answered (attested, or not enough agreement), one of them failed, or after this many
   * ms, whichever is first. Every replica still applies every seq; the spares just do it off the
   * answer's path, which matters when replicas share CPUs (the dev stack: 4 replicas, 2 cores).
   * 0 sends to all at once. Batches always go to all. Default: 50.
   */
  hedgeMs?: number
  /**
   * A spare that reaches invocations already attested (it was not needed for them) applies them
   * later, in one batch: it waits while the function has invocations in flight, up to this many ms,
   * so that its work (execution, signature, one HTTP call each) is not done beside the next
   * invocation's first wave on the same CPUs. It goes at once when a pending invocation needs help
   * (a first-wave replica failed, disagreed or is slower than hedgeMs, or a replica loop is down).
   * 0: catch up at once, one invocation at a time. Default: 200.
   */
  spareCatchUpMs?: number
  /**
   * How long the function must have been quiet (nothing in flight, submitted or answered) before a
   * spare catches up early, ms. A synchronous caller sends its next invocation within a few ms of
   * its answer. Default: 10.
   */
  spareQuietMs?: number
  /** Faster curve operations for combining and checking (framework/src/attest/wasm-loader.ts). Default: noble. */
  curve?: WasmCurve
  onEvent?: (message: string) => void
}

type Response = { replica: number; result: ReplicaExecuteResult }
type Slot = {
  invocation: Invocation
  responses: Map<number, Response>
  attestedDigest?: string
  disputed?: boolean
  disagreements: Disagreement[]
  firstSentAt?: number
  /** keccak256 of the invocation's input, computed once. */
  inputHash?: string
  /** Answers (digest, output, fields) already checked for this slot: replicas that agree are not re-hashed. */
  checked?: Set<string>
  /** Replicas sent this invocation in its first wave (see hedgeMs), and the signal for the rest. */
  sent?: number
  spares?: Spares
  /** The settled outcome is in the log (not only answered): the slot may leave memory. */
  recorded?: boolean
}
type Spares = { release: () => void; released: Promise<void>; done: boolean }
type BatchResponse = { root: Hex; share?: { index: number; signature: Hex }; results: ReplicaExecuteResult[]; invalid: boolean }
type Batch = {
  start: bigint
  end: bigint
  responses: Map<number, BatchResponse>
  single: boolean
  settled: boolean
  /** Merkle roots already computed for a list of digests (agreeing replicas send the same list). */
  roots?: Map<string, Hex>
}
type Lane = {
  functionId: string
  head: bigint
  slots: Map<bigint, Slot>
  batches: Map<bigint, Batch>
  cursors: (bigint | undefined)[]
  /** Set for every replica when a batch splits: its loop re-reads its position. */
  rewind: boolean[]
  /** performance.now() of the last submit or replica answer: a catching-up spare waits for quiet (spareQuietMs). */
  lastActivity: number
  wake: () => void
  waiting: Promise<void>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const done = (slot: Slot) => slot.attestedDigest !== undefined || slot.disputed === true
const requestOf = (inv: Invocation): ReplicaExecuteRequest => ({
  functionId: inv.functionId, codeHash: inv.codeHash, seq: inv.seq, input: inv.input as Hex, trigger: inv.trigger, timestampMs: inv.timestampMs,
  chainId: inv.chainId ?? undefined, blockNumber: inv.blockNumber ?? undefined,
  ...(inv.abort ? { abort: inv.abort } : {}),
})

export function createScheduler({ log, replicas, network, metrics, maxBatch = 256, maxBatchBytes = 16 << 20, backoff = { minMs: 25, maxMs: 2000 }, verifyBeforeAnswer = false, checkDelayMs = verifyBeforeAnswer ? 0 : 200, hedgeMs = 50, spareCatchUpMs = 200, spareQuietMs = 10, curve, onEvent = () => {} }: CreateSchedulerParameters) {
  const lanes = new Map<string, Lane>()
  const divergence = createDivergenceTracker({ metrics, onEvent })
  const replicaIndexes = replicas.map((c) => c.index)
  const waiters = new Map<string, Set<(inv: Invocation) => void>>()
  /** Replica index → whether it answered its last request or health probe (nexus_replica_up). */
  const replicaUp = new Map<number, boolean>()
  const setReplicaUp = (index: number, up: boolean) => {
    replicaUp.set(index, up)
    metrics.set('nexus_replica_up', 'Whether the replica answered its last request (or, after a failed one, its health probe)', { replica: index }, up ? 1 : 0)
  }
  let running = false
  const loops: Promise<void>[] = []
  const n = replicas.length
  const watchdogs = createWatchdogAborts({ log, metrics, onEvent })

  function newSignal(lane: Lane) {
    lane.waiting = new Promise((resolve) => {
      lane.wake = () => {
        resolve()
        newSignal(lane)
      }
    })
  }

  function sparesOf(slot: Slot): Spares {
    if (!slot.spares) {
      let release!: () => void
      const released = new Promise<void>((resolve) => (release = resolve))
      const spares: Spares = { released, done: false, release: () => { spares.done = true; release() } }
      slot.spares = spares
    }
    return slot.spares
  }

  /**
   * Wait, as a spare, until the first wave of this single invocation no longer needs help (see
   * hedgeMs). The first `t` replicas to get here go straight through.
   */
  async function hedge(slot: Slot) {
    if (hedgeMs <= 0 || done(slot)) return
    const spares = sparesOf(slot)
    if (spares.done) return
    if ((slot.sent ?? 0) < network.t) {
      slot.sent = (slot.sent ?? 0) + 1
      return
    }
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([spares.released, new Promise<void>((resolve) => (timer = setTimeout(resolve, hedgeMs)))])
    clearTimeout(timer)
    spares.release()
  }

  /** Check what a replica claims before counting its share: digest, output hash and request binding. */
  function validate(slot: Slot, r: ReplicaExecuteResult): string | undefined {
    const f: ResultFields = r.fields
    // Hashing dominates the gateway's CPU in a batch drain; an answer byte-identical to one already
    // checked for this slot (the common case: replicas agree) needs no second keccak.
    const answer = `${r.digest}|${r.output}|${JSON.stringify(f, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`
    if (!slot.checked?.has(answer)) {
      if (resultDigest(f) !== r.digest.toLowerCase()) return 'digest does not match its fields'
      if (keccak256(r.output) !== f.outputHash.toLowerCase()) return 'output does not match outputHash'
      ;(slot.checked ??= new Set()).add(answer)
    }
    if (f.seq !== slot.invocation.seq) return `answered seq ${f.seq} for seq ${slot.invocation.seq}`
    // Protocol v2: the signed fields name the function; a v1 answer (no function id) or another function's is not ours.
    if (f.functionId !== slot.invocation.functionId) return `answered for function ${JSON.stringify(f.functionId ?? null)}, not ${JSON.stringify(slot.invocation.functionId)}`
    if (f.codeHash.toLowerCase() !== slot.invocation.codeHash.toLowerCase()) return 'wrong code hash'
    slot.inputHash ??= keccak256(slot.invocation.input as Hex)
    if (f.inputHash !== slot.inputHash) return 'wrong input hash'
    if (network.chainId !== undefined && f.chainId !== BigInt(network.chainId)) return 'wrong chain id'
    return undefined
  }

  function disagree(slot: Slot, d: Disagreement) {
    if (slot.disagreements.some((x) => x.replica === d.replica)) return
    slot.disagreements.push(d)
    metrics.inc('nexus_share_disagreements_total', 'Replica answers that differ from the attested result or were rejected', { replica: d.replica })
    onEvent(`replica ${d.replica} disagreed on ${slot.invocation.functionId}#${slot.invocation.seq}: ${d.reason}`)
  }

  async function onResponse(lane: Lane, slot: Slot, replica: number, result: ReplicaExecuteResult) {
    lane.lastActivity = performance.now()
    // A share-less answer (a spare's catch-up batch) is replaced when the replica re-serves it signed (repair).
    const previous = slot.responses.get(replica)
    if (previous && (previous.result.share || !result.share)) return
    const invalid = validate(slot, result)
    slot.responses.set(replica, { replica, result })
    if (invalid) {
      slot.spares?.release()
      await recordLate(slot, { replica, digest: result.digest, reason: invalid })
      return maybeDispute(lane, slot)
    }
    if (done(slot)) {
      if (slot.attestedDigest !== undefined && result.digest !== slot.attestedDigest) await recordLate(slot, { replica, digest: result.digest, reason: 'digest differs from the attested result' })
      return
    }
    const agreeing = [...slot.responses.values()].filter((x) => x.result.digest === result.digest && x.result.share && !slot.disagreements.some((d) => d.replica === x.replica))
    if (agreeing.length < network.t) {
      // The first wave has answered without t agreeing shares: the spares are needed now.
      if (slot.responses.size >= (slot.sent ?? 0)) slot.spares?.release()
      return maybeDispute(lane, slot)
    }
    let combined
    try {
      combined = combineSharesUnverified(agreeing.map((x) => x.result.share!), network, { multiply: curve?.multiply, decodeOnCurve: curve?.decodeG1OnCurve })
    } catch (err) {
      if (err instanceof TooFewSignersError) {
        for (const rej of (err as TooFewSignersError & { rejected?: { index: number; reason: string }[] }).rejected ?? [])
          disagree(slot, { replica: rej.index, digest: result.digest, reason: rej.reason })
        return maybeDispute(lane, slot)
      }
      throw err
    }
    for (const rej of combined.rejected) disagree(slot, { replica: rej.index, digest: result.digest, reason: rej.reason })
    slot.attestedDigest = result.digest
    for (const other of slot.responses.values())
      if (other.result.digest !== result.digest) disagree(slot, { replica: other.replica, digest: other.result.digest, reason: 'digest differs from the attested result' })
    const attested: AttestedResult = createAttestedResult({
      fields: result.fields,
      output: result.output,
      signature: combined.signature,
      signers: combined.signers,
      groupPublicKey: network.groupPublicKey,
    })
    if (!verifyBeforeAnswer) answer(slot, attested)
    checks.add({ lane, slot, digest: result.digest, attested, point: combined.point, status: result.fields.status })
  }

  // Combined signatures of single invocations are checked in groups, one pairing for all of them
  // (findInvalidSignatures), before they are recorded. Waiters may already have their answer: a
  // threshold signature is unique, so the checked one is the one they got, unless a replica sent an
  // invalid share, which is then excluded and the result re-combined (repair).
  type Check = { lane: Lane; slot: Slot; digest: string; attested: AttestedResult; point: G1Point; status: number }
  const checks = (() => {
    const groupKey = decodeG2(network.groupPublicKey)
    let queue: Check[] = []
    let timer: ReturnType<typeof setTimeout> | undefined
    let running: Promise<void> = Promise.resolve()
    const run = () => {
      timer = undefined
      const items = queue
      queue = []
      running = running.then(() => checkAll(items)).catch((err: unknown) => onEvent(`signature check failed: ${err instanceof Error ? err.stack : String(err)}`))
      return running
    }
    async function checkAll(items: Check[]) {
      if (items.length === 0) return
      // Per signature ≈ 1 ms with `curve`, ≈ 2.2 ms with noble (hash-to-G1, subgroup check; a point
      // found in the subgroup is remembered), one at a time with the event loop let in between:
      // replica answers and HTTP requests that arrive meanwhile wait for one item, not for the
      // group. Only the pairing below is one block.
      const hashed: G1Point[] = []
      for (const x of items) {
        hashed.push(curve ? curve.hashToG1(x.digest as Hex) : hashToG1(x.digest as Hex))
        try {
          assertInSubgroup(x.point, curve?.isInSubgroup)
        } catch {
          // findInvalidSignatures reports it (it checks every point not known to be in the subgroup)
        }
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
      const invalid = new Set(findInvalidSignatures(items.map((x, k) => ({ hashed: hashed[k]!, signature: x.point })), groupKey, { multiply: curve?.multiply, pairingCheck: curve?.pairingCheck }))
      const good = items.filter((_, k) => !invalid.has(k))
      if (good.length) await log.recordResults(good.map((x) => ({ id: x.slot.invocation.id, result: x.attested as unknown as Record<string, unknown>, disagreements: x.slot.disagreements })))
      for (const x of good) settle(x.lane, x.slot, x.attested, x.status)
      for (const k of invalid) await repair(items[k]!, hashed[k]!)
    }
    return {
      add(check: Check) {
        queue.push(check)
        if (queue.length >= 64) void run()
        else timer ??= setTimeout(run, checkDelayMs)
      },
      /** Check and record everything queued (scheduler stop). */
      async drain() {
        if (timer) clearTimeout(timer)
        await run()
      },
    }
  })()

  /** A combined signature did not verify: find the bad shares, exclude them, combine again. */
  async function repair(check: Check, hashed: G1Point) {
    const { lane, slot, digest } = check
    metrics.inc('nexus_bad_combined_signatures_total', 'Combined signatures that failed their check (a replica sent an invalid share)')
    const agreeing = [...slot.responses.values()].filter((x) => x.result.digest === digest && x.result.share && !slot.disagreements.some((d) => d.replica === x.replica))
    let combined
    try {
      combined = combineShares(digest as Hex, agreeing.map((x) => x.result.share!), network, { hashed, multiply: curve?.multiply, pairingCheck: curve?.pairingCheck, decodeOnCurve: curve?.decodeG1OnCurve })
    } catch (err) {
      if (!(err instanceof TooFewSignersError)) throw err
      for (const rej of (err as TooFewSignersError & { rejected?: { index: number; reason: string }[] }).rejected ?? [])
        disagree(slot, { replica: rej.index, digest, reason: rej.reason })
      // Not enough good shares yet: back to pending; later answers (or a dispute) settle it.
      onEvent(`${slot.invocation.functionId}#${slot.invocation.seq}: combined signature invalid, waiting for more shares`)
      slot.attestedDigest = undefined
      slot.invocation = { ...slot.invocation, state: 'pending', result: null }
      // A spare may have applied it in a catch-up batch (no share): loops re-read their position and
      // re-send it (a replica re-serves an applied seq, signed), in a new batch or alone.
      for (const [start, b] of lane.batches) if (b.start <= slot.invocation.seq && slot.invocation.seq <= b.end) lane.batches.delete(start)
      lane.rewind = lane.rewind.map(() => true)
      lane.wake()
      return maybeDispute(lane, slot)
    }
    for (const rej of combined.rejected) disagree(slot, { replica: rej.index, digest, reason: rej.reason })
    const attested = createAttestedResult({ fields: check.attested.fields as unknown as ResultFields, output: check.attested.output as Hex, signature: combined.signature, signers: combined.signers, groupPublicKey: network.groupPublicKey })
    await log.recordResult(slot.invocation.id, attested as unknown as Record<string, unknown>, slot.disagreements)
    settle(lane, slot, attested, check.status)
  }

  /** Hand the result to whoever waits for it (the sync HTTP answer); recording follows its check. */
  function answer(slot: Slot, attested: AttestedResult) {
    slot.spares?.release()
    slot.invocation = { ...slot.invocation, state: 'attested', result: attested as unknown as Record<string, unknown>, disagreements: [...slot.disagreements] }
    if (slot.firstSentAt !== undefined) metrics.observe('nexus_quorum_latency_seconds', 'First send to attested result', (performance.now() - slot.firstSentAt) / 1000)
    slot.firstSentAt = undefined
    notify(slot)
  }

  /** The attested result is durable: update the slot, metrics and waiters. */
  function settle(lane: Lane, slot: Slot, attested: AttestedResult, status: number) {
    slot.recorded = true
    answer(slot, attested)
    metrics.inc('nexus_invocations_total', 'Invocations by status', { status: STATUS[status] ?? 'unknown' })
    evict(lane, slot)
  }

  /**
   * The invocation as callers should see it: one still pending in the log whose slot was already
   * answered (its combined signature waits for its check) is served as it was answered.
   */
  function seen(invocation: Invocation): Invocation {
    if (invocation.state !== 'pending') return invocation
    const slot = lanes.get(invocation.functionId)?.slots.get(invocation.seq)
    return slot?.invocation.id === invocation.id && slot.invocation.state !== 'pending' ? slot.invocation : invocation
  }

  function notify(slot: Slot) {
    const set = waiters.get(slot.invocation.id)
    if (set) for (const fn of set) fn(slot.invocation)
    waiters.delete(slot.invocation.id)
  }

  /** Largest group of valid answers that agree, among `answers` (replica → digest or root). */
  function largestGroup(answers: [replica: number, value: string][]): number {
    const counts = new Map<string, number>()
    for (const [, v] of answers) counts.set(v, (counts.get(v) ?? 0) + 1)
    return Math.max(0, ...counts.values())
  }

  /** No digest can reach t shares any more (e.g. a 2–2 split): settle as disputed, the lane goes on. */
  async function maybeDispute(lane: Lane, slot: Slot) {
    if (done(slot)) return
    const disagreeing = (x: Response) => slot.disagreements.some((d) => d.replica === x.replica)
    const valid = [...slot.responses.values()].filter((x) => x.result.share && !disagreeing(x))
    // An answer without a share (from a catch-up batch) can still be asked for one: not counted as final.
    // A replica that diverged from the log for this function will not answer: final too.
    const final = [...slot.responses.values()].filter((x) => x.result.share || disagreeing(x)).length
      + divergence.silent(lane.functionId, replicaIndexes, (r) => slot.responses.has(r))
    if (largestGroup(valid.map((x) => [x.replica, x.result.digest])) + (n - final) >= network.t) return
    slot.disputed = true
    slot.spares?.release()
    for (const x of slot.responses.values()) disagree(slot, { replica: x.replica, digest: x.result.digest, reason: `no quorum: fewer than ${network.t} replicas agree on any digest` })
    await log.recordDispute(slot.invocation.id, slot.disagreements)
    slot.recorded = true
    slot.invocation = { ...slot.invocation, state: 'disputed', disagreements: [...slot.disagreements] }
    metrics.inc('nexus_invocations_total', 'Invocations by status', { status: 'disputed' })
    onEvent(`${slot.invocation.functionId}#${slot.invocation.seq} disputed: no digest has ${network.t} shares`)
    notify(slot)
    evict(lane, slot)
  }

  /** A replica answered a whole batch: check every result, then try to attest the batch root. */
  async function onBatchResponse(lane: Lane, batch: Batch, slots: Slot[], replica: number, answer: { results: ReplicaExecuteResult[]; root: Hex; share?: { index: number; signature: Hex } }) {
    // A stale answer for a range that was shrunk meanwhile (see fitRequestSize) is ignored.
    if (batch.responses.has(replica) || batch.single || slots.length !== Number(batch.end - batch.start + 1n)) return
    let invalid = false
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[k]!
      const r = answer.results[k]!
      const why = validate(slot, r)
      if (why) {
        invalid = true
        await recordLate(slot, { replica, digest: r.digest, reason: why })
      } else if (slot.attestedDigest !== undefined && r.digest !== slot.attestedDigest) {
        await recordLate(slot, { replica, digest: r.digest, reason: 'digest differs from the attested result' })
      }
    }
    // The root is recomputed here: a share is only counted for the root of the results it came with.
    const digests = answer.results.map((r) => r.digest)
    const listKey = digests.join()
    let root = invalid ? answer.root : batch.roots?.get(listKey)
    if (root === undefined) (batch.roots ??= new Map()).set(listKey, (root = merkleRoot(digests)))
    if (root !== answer.root.toLowerCase()) invalid = true
    batch.responses.set(replica, { root, share: answer.share, results: answer.results, invalid })
    if (batch.settled || slots.every(done)) {
      batch.settled = true
      // A spare catching up (or a replica back from down): its answers complete the slots.
      slots.forEach((slot, k) => {
        if (!slot.responses.has(replica)) slot.responses.set(replica, { replica, result: answer.results[k]! })
        evict(lane, slot)
      })
      return
    }
    const valid = [...batch.responses.entries()].filter(([, x]) => !x.invalid && x.share)
    const groups = new Map<string, number[]>()
    for (const [r, x] of valid) groups.set(x.root, [...(groups.get(x.root) ?? []), r])
    for (const [groupRoot, members] of groups) {
      if (members.length < network.t) continue
      let combined
      try {
        combined = combineShares(groupRoot as Hex, members.map((m) => batch.responses.get(m)!.share!), network, { hashed: curve?.hashToG1(groupRoot as Hex), multiply: curve?.multiply, pairingCheck: curve?.pairingCheck, decodeOnCurve: curve?.decodeG1OnCurve })
      } catch (err) {
        if (!(err instanceof TooFewSignersError)) throw err
        for (const rej of (err as TooFewSignersError & { rejected?: { index: number; reason: string }[] }).rejected ?? []) markInvalid(batch, members, rej.index)
        continue
      }
      for (const rej of combined.rejected) markInvalid(batch, members, rej.index)
      const agreed = batch.responses.get(members[0]!)!.results
      const tree = merkleTree(agreed.map((r) => r.digest))
      const records: { slot: Slot; attested: AttestedResult; status: number }[] = []
      slots.forEach((slot, k) => {
        if (done(slot)) return
        const result = agreed[k]!
        slot.attestedDigest = result.digest
        for (const [other, x] of batch.responses)
          if (x.results[k]!.digest !== result.digest) disagree(slot, { replica: other, digest: x.results[k]!.digest, reason: 'digest differs from the attested result' })
        for (const rej of combined.rejected) disagree(slot, { replica: rej.index, digest: result.digest, reason: rej.reason })
        const attested = createAttestedResult({
          fields: result.fields, output: result.output, signature: combined.signature, signers: combined.signers, groupPublicKey: network.groupPublicKey,
          batch: { root: tree.root, index: k, size: slots.length, proof: tree.proofs[k]! },
        })
        records.push({ slot, attested, status: result.fields.status })
      })
      await log.recordResults(records.map((x) => ({ id: x.slot.invocation.id, result: x.attested as unknown as Record<string, unknown>, disagreements: x.slot.disagreements })))
      batch.settled = true
      metrics.inc('nexus_batches_total', 'Batches attested with one combined signature')
      for (const x of records) settle(lane, x.slot, x.attested, x.status)
      return
    }
    maybeSplit(lane, batch, groups)
  }

  /** No root of this batch can reach t (diverged replicas will not answer): attest it one by one. */
  function maybeSplit(lane: Lane, batch: Batch, groups?: Map<string, number[]>) {
    if (batch.settled || batch.single) return
    if (!groups) {
      groups = new Map()
      for (const [r, x] of batch.responses) if (!x.invalid && x.share) groups.set(x.root, [...(groups.get(x.root) ?? []), r])
    }
    const best = Math.max(0, ...[...groups.values()].map((m) => m.filter((r) => !batch.responses.get(r)!.invalid).length))
    const silent = divergence.silent(lane.functionId, replicaIndexes, (r) => batch.responses.has(r))
    if (best + (n - batch.responses.size - silent) >= network.t) return
    // No root can reach t: attest this range one invocation at a time (each replica re-serves its record).
    batch.single = true
    metrics.inc('nexus_batch_splits_total', 'Batches whose roots disagreed and fell back to single attestation')
    onEvent(`batch ${lane.functionId}#${batch.start}-${batch.end}: roots disagree, attesting one by one`)
    lane.rewind = lane.rewind.map(() => true)
    lane.wake()
  }

  /** A share combineShares rejected no longer counts: mark the replica(s) that sent it. */
  function markInvalid(batch: Batch, members: number[], shareIndex: number) {
    for (const m of members) {
      const response = batch.responses.get(m)
      if (response?.share?.index === shareIndex) response.invalid = true
    }
  }

  /**
   * The batch containing `cursor`, or a new one from `cursor` to what is pending (capped).
   * `settledUntil`: a spare's catch-up over invocations attested one by one (see settledRun); their
   * single-invocation entries do not split it.
   */
  function batchAt(lane: Lane, cursor: bigint, settledUntil?: bigint): Batch {
    const counts = (b: Batch) => settledUntil === undefined || !b.single
    for (const b of lane.batches.values()) if (b.start <= cursor && cursor <= b.end && counts(b)) return b
    let end = settledUntil ?? lane.head
    if (end - cursor + 1n > BigInt(maxBatch)) end = cursor + BigInt(maxBatch) - 1n
    for (const b of lane.batches.values()) if (b.start > cursor && b.start <= end && counts(b)) end = b.start - 1n
    const batch: Batch = { start: cursor, end, responses: new Map(), single: end === cursor, settled: false }
    lane.batches.set(cursor, batch)
    if (lane.batches.size > 1024)
      for (const [start, b] of lane.batches) {
        if (lane.batches.size <= 512) break
        if (b.settled || b.single) lane.batches.delete(start)
      }
    return batch
  }

  /**
   * Keep one batch request under `maxBatchBytes` (the replica's body limit is 32 MiB): a batch
   * nobody has answered yet is cut back to the prefix that fits. Everyone then sees the shorter range.
   */
  function fitRequestSize(batch: Batch, slots: Slot[]): Slot[] {
    if (batch.responses.size > 0) return slots
    let bytes = 0
    for (let k = 0; k < slots.length; k++) {
      bytes += slots[k]!.invocation.input.length + 512
      if (bytes > maxBatchBytes && k > 0) {
        batch.end = batch.start + BigInt(k) - 1n
        batch.single = k === 1
        return slots.slice(0, k)
      }
    }
    return slots
  }

  /** Slots start..end, loading the ones not in memory from the log in one query. */
  async function slotsFor(lane: Lane, start: bigint, end: bigint): Promise<Slot[] | undefined> {
    const missing: bigint[] = []
    for (let s = start; s <= end; s++) if (!lane.slots.has(s)) missing.push(s)
    if (missing.length) {
      const rows = await log.range(lane.functionId, missing[0]! - 1n, Number(end - missing[0]! + 1n))
      for (const invocation of rows) {
        if (invocation.seq > end || lane.slots.has(invocation.seq)) continue
        const slot: Slot = { invocation, responses: new Map(), disagreements: [...invocation.disagreements] }
        if (invocation.state === 'attested') slot.attestedDigest = String((invocation.result as { digest?: string } | null)?.digest)
        if (invocation.state === 'disputed') slot.disputed = true
        lane.slots.set(invocation.seq, slot)
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

  async function recordLate(slot: Slot, d: Disagreement) {
    const before = slot.disagreements.length
    disagree(slot, d)
    if (slot.attestedDigest !== undefined && slot.disagreements.length !== before) await log.setDisagreements(slot.invocation.id, slot.disagreements)
  }

  function evict(lane: Lane, slot: Slot) {
    if (done(slot) && slot.recorded && slot.responses.size >= n) lane.slots.delete(slot.invocation.seq)
    // A replica that is down keeps attested slots alive; they can be rebuilt from the log.
    if (lane.slots.size > 4096)
      for (const [seq, s] of lane.slots) {
        if (lane.slots.size <= 2048) break
        if (done(s)) lane.slots.delete(seq)
      }
  }

  async function slotFor(lane: Lane, seq: bigint): Promise<Slot | undefined> {
    let slot = lane.slots.get(seq)
    if (slot) return slot
    const invocation = await log.getBySeq(lane.functionId, seq)
    if (!invocation) return undefined
    slot = lane.slots.get(seq) // another loop may have loaded it meanwhile
    if (slot) return slot
    slot = { invocation, responses: new Map(), disagreements: [...invocation.disagreements] }
    if (invocation.state === 'attested') slot.attestedDigest = String((invocation.result as { digest?: string } | null)?.digest)
    if (invocation.state === 'disputed') slot.disputed = true
    lane.slots.set(seq, slot)
    return slot
  }

  /**
   * The invocation at `cursor` was attested without this replica (a spare, see spareCatchUpMs): the
   * last seq of the run of settled invocations from there, which it applies as one batch. Undefined
   * when that is not the case.
   */
  function settledRun(lane: Lane, cursor: bigint): bigint | undefined {
    const slot = lane.slots.get(cursor)
    if (spareCatchUpMs <= 0 || !slot?.spares || !done(slot)) return undefined
    let end = cursor
    while (end < lane.head && end - cursor + 1n < BigInt(maxBatch)) {
      const next = lane.slots.get(end + 1n) // not in memory: settled and evicted
      if (next && !done(next)) break
      end++
    }
    return end
  }

  /** Wait, as a spare about to catch up, while the function has live work (see spareCatchUpMs). */
  async function yieldToLiveWork(lane: Lane, i: number) {
    const deadline = performance.now() + spareCatchUpMs
    while (running && !lane.rewind[i]) {
      const now = performance.now()
      if (now >= deadline || helpNeeded(lane, i, now)) return
      if (firstPending(lane) > lane.head && now - lane.lastActivity >= spareQuietMs) return
      await Promise.race([lane.waiting, sleep(Math.min(deadline - now, spareQuietMs))])
    }
  }

  /** A pending invocation needs this replica now: a replica loop is down, or a first wave failed, disagreed or is slow. */
  function helpNeeded(lane: Lane, i: number, now: number): boolean {
    if (lane.cursors.some((c, j) => j !== i && c === undefined)) return true
    for (const slot of lane.slots.values())
      if (!done(slot) && (slot.spares?.done || (slot.firstSentAt !== undefined && now - slot.firstSentAt > hedgeMs))) return true
    return false
  }

  function firstPending(lane: Lane): bigint {
    let min = lane.head + 1n
    for (const [seq, slot] of lane.slots) if (!done(slot) && seq < min) min = seq
    return min
  }

  async function replicaLoop(lane: Lane, client: ReplicaClient) {
    const i = client.index - 1
    let delay = backoff.minMs
    const fail = async (reason: string) => {
      if (delay === backoff.minMs) onEvent(`replica ${client.index} unavailable for ${lane.functionId}: ${reason}`)
      lane.cursors[i] = undefined
      // A failure of this lane (an artifact the replica refused, an answer it gave with an error)
      // is not the replica being down: ask it, so nexus_replica_up does not report a healthy replica down.
      const probe = client.health().then((up) => setReplicaUp(client.index, up))
      await Promise.all([sleep(delay), probe])
      delay = Math.min(delay * 2, backoff.maxMs)
    }
    // Once per seq: a replica still unbound right after its versions were pushed is retried with backoff.
    let boundAt: bigint | undefined
    /** A refusal resending cannot fix: push the function's versions, or settle a divergence. */
    const refused = async (outcome: { kind: 'unbound' | 'diverged'; reason: string }, seq: bigint, slot?: Slot) => {
      if (outcome.kind === 'unbound') {
        if (boundAt === seq) return fail(outcome.reason)
        boundAt = seq
        const bound = await bindVersions(log, client, lane.functionId)
        if (bound.ok) return
        if (!bound.conflict) return fail(bound.reason)
        outcome = { kind: 'diverged', reason: bound.reason }
      }
      divergence.mark(lane.functionId, client.index, seq, outcome.reason)
      lane.cursors[i] = undefined
      if (slot) await recordLate(slot, { replica: client.index, reason: `diverged from the log: ${outcome.reason}` })
      // Invocations and batches that were waiting for this replica settle without it.
      for (const b of lane.batches.values()) maybeSplit(lane, b)
      for (const pending of [...lane.slots.values()]) if (!done(pending)) await maybeDispute(lane, pending)
      lane.wake()
    }
    while (running) {
      if (divergence.has(lane.functionId, client.index)) {
        lane.cursors[i] = undefined
        await divergence.waitForRepair(lane.functionId, client, () => running, () => lane.waiting)
        continue
      }
      if (lane.rewind[i]) {
        lane.rewind[i] = false
        lane.cursors[i] = undefined
      }
      let cursor = lane.cursors[i]
      if (cursor === undefined) {
        const state = await client.state(lane.functionId)
        if (!state) {
          await fail('state unavailable')
          continue
        }
        // Resend anything not attested yet, even if this replica applied it (it re-serves it).
        const pending = firstPending(lane)
        cursor = state.lastAppliedSeq + 1n < pending ? state.lastAppliedSeq + 1n : pending
        lane.cursors[i] = cursor
      }
      metrics.set('nexus_replica_lag', 'Invocations the replica has not applied yet', { replica: client.index, function: lane.functionId }, Number(lane.head - cursor + 1n))
      if (cursor > lane.head) {
        await Promise.race([lane.waiting, sleep(1000)])
        continue
      }
      if (settledRun(lane, cursor) !== undefined) {
        await yieldToLiveWork(lane, i)
        if (!running) return
        if (lane.rewind[i]) continue
      }
      const run = settledRun(lane, cursor)
      const batch = batchAt(lane, cursor, run !== undefined && run > cursor ? run : undefined)
      if (!batch.single) {
        const loaded = await slotsFor(lane, batch.start, batch.end)
        if (!loaded) {
          await sleep(50)
          continue
        }
        const slots = fitRequestSize(batch, loaded)
        if (batch.single) continue // cut back to one invocation: the single path below handles it
        const sentAt = performance.now()
        for (const s of slots) if (!done(s)) s.firstSentAt ??= sentAt
        const outcome = await client.executeBatch(slots.map((s) => requestOf(s.invocation)))
        if (!running) return
        switch (outcome.kind) {
          case 'ok':
            delay = backoff.minMs
            setReplicaUp(client.index, true)
            lane.cursors[i] = batch.end + 1n
            await onBatchResponse(lane, batch, slots, client.index, outcome)
            break
          case 'seq-gap':
            onEvent(`replica ${client.index} catching up ${lane.functionId} from seq ${outcome.expected}`)
            lane.cursors[i] = outcome.expected
            break
          case 'unknown-code':
            for (const codeHash of new Set(slots.map((s) => s.invocation.codeHash))) {
              const artifact = await log.getArtifact(codeHash)
              if (!artifact) throw new Error(`artifact ${codeHash} missing from the log`)
              await client.pushArtifact(artifact.manifest, artifact.component).catch((err: unknown) => fail(String(err)))
            }
            break
          case 'unbound':
          case 'diverged':
            await refused(outcome, batch.start)
            break
          case 'unavailable':
            await fail(outcome.reason)
            break
          case 'watchdog': {
            const seq = await watchdogs.timedOutSeq(client, lane.functionId)
            const slot = slots.find((s) => s.invocation.seq === seq)
            if (!slot || !(await watchdogs.abort(slot, client.index))) await fail('watchdog fired on an invocation that cannot be aborted')
            break
          }
        }
        continue
      }
      const slot = await slotFor(lane, cursor)
      if (!slot) {
        await sleep(50)
        continue
      }
      const caughtUp = run !== undefined // already on the catch-up path above
      await hedge(slot)
      if (!running) return
      // Released because the invocation was attested without this replica: catch up later (above).
      if (!caughtUp && settledRun(lane, cursor) !== undefined) continue
      const inv = slot.invocation
      // From the first send until the answer (a spare sent after the answer must not start a new clock).
      if (!done(slot)) slot.firstSentAt ??= performance.now()
      const outcome = await client.execute(requestOf(inv))
      if (!running) return
      // This replica did not answer this seq: whoever waits as a spare goes now.
      if (outcome.kind !== 'ok') slot.spares?.release()
      switch (outcome.kind) {
        case 'ok':
          delay = backoff.minMs
          setReplicaUp(client.index, true)
          lane.cursors[i] = cursor + 1n
          await onResponse(lane, slot, client.index, outcome.result)
          break
        case 'seq-gap':
          onEvent(`replica ${client.index} catching up ${lane.functionId} from seq ${outcome.expected}`)
          lane.cursors[i] = outcome.expected
          break
        case 'unknown-code': {
          const artifact = await log.getArtifact(inv.codeHash)
          if (!artifact) throw new Error(`artifact ${inv.codeHash} missing from the log`)
          await client.pushArtifact(artifact.manifest, artifact.component).catch((err: unknown) => fail(String(err)))
          break
        }
        case 'unbound':
        case 'diverged':
          await refused(outcome, cursor, slot)
          break
        case 'unavailable':
          await fail(outcome.reason)
          break
        case 'watchdog':
          // Settled through the log, never retried as is: the loop resends it marked aborted.
          if (!(await watchdogs.abort(slot, client.index))) await fail('watchdog fired on an invocation settled without this replica')
          break
      }
    }
  }

  function startLane(functionId: string, head: bigint): Lane {
    let lane = lanes.get(functionId)
    if (lane) return lane
    lane = { functionId, head, slots: new Map(), batches: new Map(), cursors: replicas.map(() => undefined), rewind: replicas.map(() => false), lastActivity: 0, wake: () => {}, waiting: Promise.resolve() }
    newSignal(lane)
    lanes.set(functionId, lane)
    for (const client of replicas)
      loops.push(
        replicaLoop(lane, client).catch((err: unknown) => {
          onEvent(`replica loop ${client.index}/${functionId} crashed: ${err instanceof Error ? err.stack : String(err)}`)
        }),
      )
    return lane
  }

  return {
    /** Load every function and its unattested invocations from the log and start the lanes. */
    async start() {
      running = true
      for (const fn of await log.listFunctions()) {
        const lane = startLane(fn.id, fn.lastSeq)
        let after = (await log.firstPendingSeq(fn.id)) - 1n
        for (;;) {
          const rows = await log.range(fn.id, after, 1000)
          for (const row of rows) if (row.state === 'pending' && !lane.slots.has(row.seq)) lane.slots.set(row.seq, { invocation: row, responses: new Map(), disagreements: [...row.disagreements] })
          if (rows.length < 1000) break
          after = rows.at(-1)!.seq
        }
      }
    },
    /** A new invocation was durably appended: hand it to the lane. */
    submit(invocation: Invocation) {
      const lane = startLane(invocation.functionId, invocation.seq - 1n)
      if (!lane.slots.has(invocation.seq)) lane.slots.set(invocation.seq, { invocation, responses: new Map(), disagreements: [] })
      if (invocation.seq > lane.head) lane.head = invocation.seq
      lane.lastActivity = performance.now()
      metrics.inc('nexus_invocations_total', 'Invocations by status', { status: 'accepted' })
      lane.wake()
    },
    /** A function was deployed: make sure its lane exists. */
    ensureLane(functionId: string, head: bigint) {
      if (!running) return
      startLane(functionId, head)
      // Bind the new version on every replica now rather than on its first invocation (a loop
      // that meets CODE_NOT_BOUND pushes the versions itself, so a failure here only costs that).
      for (const client of replicas) void bindVersions(log, client, functionId)
    },
    /** Replicas that diverged from the log, per function (see divergence.ts). */
    diverged: () => divergence.list(),
    /**
     * Repair a replica that diverged for a function: it forgets the function, and its loop
     * re-applies it from the log from seq 1. Throws when the replica refuses the reset.
     */
    async repair(functionId: string, replica: number) {
      const client = replicas.find((c) => c.index === replica)
      if (!client) throw new Error(`no replica ${replica}`)
      await client.resetFunction(functionId)
      divergence.clear(functionId, replica)
      const lane = lanes.get(functionId)
      if (lane) {
        lane.rewind[replica - 1] = true
        lane.wake()
      }
    },
    /**
     * Resolves with the settled (attested or disputed) invocation, or undefined after `timeoutMs`.
     * `submitted`: the invocation just handed to submit() in this same tick, which cannot have
     * settled yet, so the log need not be asked.
     */
    async waitFor(id: string, timeoutMs: number, submitted?: Invocation): Promise<Invocation | undefined> {
      let listener!: (inv: Invocation) => void
      const attested = new Promise<Invocation>((resolve) => (listener = resolve))
      let set = waiters.get(id)
      if (!set) waiters.set(id, (set = new Set()))
      set.add(listener)
      const stored = submitted?.id === id ? submitted : await log.getInvocation(id)
      const current = stored && seen(stored)
      if (current && current.state !== 'pending') {
        set.delete(listener)
        return current
      }
      let expire!: (value: undefined) => void
      const timeout = new Promise<undefined>((resolve) => (expire = resolve))
      const timer = setTimeout(() => expire(undefined), timeoutMs)
      try {
        return await Promise.race([attested, timeout])
      } finally {
        clearTimeout(timer)
        set.delete(listener)
        if (set.size === 0 && waiters.get(id) === set) waiters.delete(id)
      }
    },
    /**
     * The invocation as callers should see it: a result already answered to a synchronous caller
     * but not recorded yet (its signature check is pending) is served as it was answered.
     */
    current: seen,
    /** Replicas not known to be down (answered their last request or health probe), and how many there are. */
    replicasUp(): { up: number; n: number; t: number } {
      return { up: replicas.filter((r) => replicaUp.get(r.index) !== false).length, n: replicas.length, t: network.t }
    },
    /** Per-replica cursor per function (for /ready and tests). */
    status() {
      return [...lanes.values()].map((l) => ({
        functionId: l.functionId, head: l.head.toString(), cursors: l.cursors.map((c) => c?.toString() ?? null),
        diverged: replicaIndexes.filter((r) => divergence.has(l.functionId, r)),
      }))
    },
    /**
     * A clean stop's drain: wait, at most `timeoutMs`, until every invocation handed to the lanes
     * is settled, then record what is still queued for its check. Resolves false if some were not
     * (they stay pending in the log and run after the next start).
     */
    async drain(timeoutMs: number): Promise<boolean> {
      const deadline = performance.now() + timeoutMs
      const unsettled = () => [...lanes.values()].some((lane) => [...lane.slots.values()].some((slot) => !done(slot)))
      let settled = true
      while (unsettled()) {
        if (performance.now() >= deadline) {
          settled = false
          break
        }
        await sleep(20)
      }
      await checks.drain()
      return settled
    },
    async stop() {
      running = false
      for (const lane of lanes.values()) lane.wake()
      await Promise.race([Promise.allSettled(loops), sleep(3000)])
      await checks.drain()
    },
  }
}
