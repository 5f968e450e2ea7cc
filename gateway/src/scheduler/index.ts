// Quorum scheduler. Per function a "lane": every replica has its own loop that sends the
// function's invocations to that replica strictly in seq order (the replica rejects gaps with
// SEQ_GAP, and re-serves seqs it already applied). Shares are grouped by digest; once `t` shares
// agree they are combined and the attested result written to the log. Lanes of different
// functions run concurrently; a down, slow or wrong replica only stalls its own loop.
import { keccak256, type Hex } from 'viem'
import {
  combineShares,
  createAttestedResult,
  resultDigest,
  TooFewSignersError,
  type AttestedResult,
  type Network,
  type ResultFields,
} from '../../../framework/src/attest/index.ts'
import type { Disagreement } from '../database/index.ts'
import type { Invocation, Log } from '../log/index.ts'
import type { Metrics } from '../metrics.ts'
import type { ReplicaClient, ReplicaExecuteResult } from '../replicas/index.ts'

export type Scheduler = ReturnType<typeof createScheduler>

export type CreateSchedulerParameters = {
  log: Log
  replicas: ReplicaClient[]
  network: Network
  metrics: Metrics
  /** Backoff bounds for an unavailable replica, ms. Default: 25 → 2000. */
  backoff?: { minMs: number; maxMs: number }
  onEvent?: (message: string) => void
}

type Response = { replica: number; result: ReplicaExecuteResult }
type Slot = {
  invocation: Invocation
  responses: Map<number, Response>
  attestedDigest?: string
  disagreements: Disagreement[]
  firstSentAt?: number
}
type Lane = {
  functionId: string
  head: bigint
  slots: Map<bigint, Slot>
  cursors: (bigint | undefined)[]
  wake: () => void
  waiting: Promise<void>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const STATUS = ['ok', 'handler_error', 'out_of_fuel', 'out_of_memory'] as const

export function createScheduler({ log, replicas, network, metrics, backoff = { minMs: 25, maxMs: 2000 }, onEvent = () => {} }: CreateSchedulerParameters) {
  const lanes = new Map<string, Lane>()
  const waiters = new Map<string, Set<(inv: Invocation) => void>>()
  let running = false
  const loops: Promise<void>[] = []
  const n = replicas.length

  function newSignal(lane: Lane) {
    lane.waiting = new Promise((resolve) => {
      lane.wake = () => {
        resolve()
        newSignal(lane)
      }
    })
  }

  /** Check what a replica claims before counting its share: digest, output hash and request binding. */
  function validate(slot: Slot, r: ReplicaExecuteResult): string | undefined {
    const f: ResultFields = r.fields
    if (resultDigest(f) !== r.digest.toLowerCase()) return 'digest does not match its fields'
    if (keccak256(r.output) !== f.outputHash.toLowerCase()) return 'output does not match outputHash'
    if (f.seq !== slot.invocation.seq) return `answered seq ${f.seq} for seq ${slot.invocation.seq}`
    if (f.codeHash.toLowerCase() !== slot.invocation.codeHash.toLowerCase()) return 'wrong code hash'
    if (f.inputHash !== keccak256(slot.invocation.input as Hex)) return 'wrong input hash'
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
    if (slot.responses.has(replica)) return
    const invalid = validate(slot, result)
    slot.responses.set(replica, { replica, result })
    if (invalid) return recordLate(slot, { replica, digest: result.digest, reason: invalid })
    if (slot.attestedDigest !== undefined) {
      if (result.digest !== slot.attestedDigest) await recordLate(slot, { replica, digest: result.digest, reason: 'digest differs from the attested result' })
      return
    }
    const agreeing = [...slot.responses.values()].filter((x) => x.result.digest === result.digest && x.result.share && !slot.disagreements.some((d) => d.replica === x.replica))
    if (agreeing.length < network.t) return
    let combined
    try {
      combined = combineShares(result.digest, agreeing.map((x) => x.result.share!), network)
    } catch (err) {
      if (err instanceof TooFewSignersError) {
        for (const rej of (err as TooFewSignersError & { rejected?: { index: number; reason: string }[] }).rejected ?? [])
          disagree(slot, { replica: rej.index, digest: result.digest, reason: rej.reason })
        return
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
    await log.recordResult(slot.invocation.id, attested as unknown as Record<string, unknown>, slot.disagreements)
    slot.invocation = { ...slot.invocation, state: 'attested', result: attested as unknown as Record<string, unknown>, disagreements: [...slot.disagreements] }
    metrics.inc('nexus_invocations_total', 'Invocations by status', { status: STATUS[result.fields.status] ?? 'unknown' })
    if (slot.firstSentAt !== undefined) metrics.observe('nexus_quorum_latency_seconds', 'First send to attested result', (performance.now() - slot.firstSentAt) / 1000)
    const set = waiters.get(slot.invocation.id)
    if (set) for (const fn of set) fn(slot.invocation)
    waiters.delete(slot.invocation.id)
    evict(lane, slot)
  }

  async function recordLate(slot: Slot, d: Disagreement) {
    const before = slot.disagreements.length
    disagree(slot, d)
    if (slot.attestedDigest !== undefined && slot.disagreements.length !== before) await log.setDisagreements(slot.invocation.id, slot.disagreements)
  }

  function evict(lane: Lane, slot: Slot) {
    if (slot.attestedDigest !== undefined && slot.responses.size >= n) lane.slots.delete(slot.invocation.seq)
    // A replica that is down keeps attested slots alive; they can be rebuilt from the log.
    if (lane.slots.size > 4096)
      for (const [seq, s] of lane.slots) {
        if (lane.slots.size <= 2048) break
        if (s.attestedDigest !== undefined) lane.slots.delete(seq)
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
    lane.slots.set(seq, slot)
    return slot
  }

  function firstPending(lane: Lane): bigint {
    let min = lane.head + 1n
    for (const [seq, slot] of lane.slots) if (slot.attestedDigest === undefined && seq < min) min = seq
    return min
  }

  async function replicaLoop(lane: Lane, client: ReplicaClient) {
    const i = client.index - 1
    let delay = backoff.minMs
    const fail = async (reason: string) => {
      if (delay === backoff.minMs) onEvent(`replica ${client.index} unavailable for ${lane.functionId}: ${reason}`)
      metrics.set('nexus_replica_up', 'Whether the replica answered its last request', { replica: client.index }, 0)
      lane.cursors[i] = undefined
      await sleep(delay)
      delay = Math.min(delay * 2, backoff.maxMs)
    }
    while (running) {
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
      const slot = await slotFor(lane, cursor)
      if (!slot) {
        await sleep(50)
        continue
      }
      const inv = slot.invocation
      slot.firstSentAt ??= performance.now()
      const outcome = await client.execute({ functionId: inv.functionId, codeHash: inv.codeHash, seq: inv.seq, input: inv.input as Hex, trigger: inv.trigger, timestampMs: inv.timestampMs, chainId: inv.chainId ?? undefined, blockNumber: inv.blockNumber ?? undefined })
      if (!running) return
      switch (outcome.kind) {
        case 'ok':
          delay = backoff.minMs
          metrics.set('nexus_replica_up', 'Whether the replica answered its last request', { replica: client.index }, 1)
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
        case 'unavailable':
          await fail(outcome.reason)
          break
      }
    }
  }

  function startLane(functionId: string, head: bigint): Lane {
    let lane = lanes.get(functionId)
    if (lane) return lane
    lane = { functionId, head, slots: new Map(), cursors: replicas.map(() => undefined), wake: () => {}, waiting: Promise.resolve() }
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
      metrics.inc('nexus_invocations_total', 'Invocations by status', { status: 'accepted' })
      lane.wake()
    },
    /** A function was deployed: make sure its lane exists. */
    ensureLane(functionId: string, head: bigint) {
      if (running) startLane(functionId, head)
    },
    /** Resolves with the attested invocation, or undefined after `timeoutMs`. */
    async waitFor(id: string, timeoutMs: number): Promise<Invocation | undefined> {
      let listener!: (inv: Invocation) => void
      const attested = new Promise<Invocation>((resolve) => (listener = resolve))
      let set = waiters.get(id)
      if (!set) waiters.set(id, (set = new Set()))
      set.add(listener)
      const current = await log.getInvocation(id)
      if (current?.state === 'attested') {
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
    /** Per-replica cursor per function (for /ready and tests). */
    status() {
      return [...lanes.values()].map((l) => ({ functionId: l.functionId, head: l.head.toString(), cursors: l.cursors.map((c) => c?.toString() ?? null) }))
    },
    async stop() {
      running = false
      for (const lane of lanes.values()) lane.wake()
      await Promise.race([Promise.allSettled(loops), sleep(3000)])
    },
  }
}
