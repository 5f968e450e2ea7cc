// Quorum for one invocation: a replica's answer is checked (digest, output hash, request binding)
// before its share counts; shares are grouped by digest and combined once `t` agree (without the
// pairing: the combined signature is checked in checks.ts); when no digest can reach `t` any more,
// the invocation is settled as disputed and the lane goes on.
import type { Hex } from 'viem'
import { keccak256 } from '@nexus/protocol'
import { combineSharesUnverified, createAttestedResult, resultDigest, TooFewSignersError, type AttestedResult, type ResultFields } from '@nexus/protocol/attest'
import type { Disagreement } from '../database/index.ts'
import type { ReplicaExecuteResult } from '../replicas/index.ts'
import type { Check } from './checks.ts'
import type { SchedulerContext } from './context.ts'
import { agreedLogs, done, evict, type Lane, type Response, type Slot } from './lane.ts'
import type { Outcomes } from './outcome.ts'

export type Quorum = ReturnType<typeof createQuorum>

/** Shares combineShares refused, with the reason (attached to its TooFewSignersError). */
export const rejectedShares = (err: TooFewSignersError) => (err as TooFewSignersError & { rejected?: { index: number; reason: string }[] }).rejected ?? []

/** Largest group of valid answers that agree, among `answers` (replica → digest or root). */
export function largestGroup(answers: [replica: number, value: string][]): number {
  const counts = new Map<string, number>()
  for (const [, v] of answers) counts.set(v, (counts.get(v) ?? 0) + 1)
  return Math.max(0, ...counts.values())
}

/** Every field the digest covers (parseResultFields builds exactly these), compared as values. */
const DIGEST_FIELDS = [
  'chainId',
  'verifier',
  'functionId',
  'codeHash',
  'seq',
  'inputHash',
  'status',
  'outputHash',
  'stateRootBefore',
  'stateRootAfter',
  'fuelUsed',
] as const satisfies readonly (keyof ResultFields)[]

/** Two answers with the same digest, output and fields (cheaper than serializing them to compare). */
function sameAnswer(a: ReplicaExecuteResult, b: ReplicaExecuteResult): boolean {
  if (a.digest !== b.digest || a.output !== b.output) return false
  for (const k of DIGEST_FIELDS) if (a.fields[k] !== b.fields[k]) return false
  return true
}

export function createQuorum(ctx: SchedulerContext, { outcomes, check }: { outcomes: Outcomes; check: (c: Check) => void }) {
  const { log, network, metrics, onEvent, divergence, replicaIndexes, n, verifyBeforeAnswer } = ctx

  /** Check what a replica claims before counting its share: digest, output hash and request binding. */
  function validate(slot: Slot, r: ReplicaExecuteResult): string | undefined {
    const f: ResultFields = r.fields
    // Hashing dominates the gateway's CPU in a batch drain; an answer equal to one already checked
    // for this slot (the common case: replicas agree) needs no second keccak.
    if (!slot.checked?.some((c) => sameAnswer(c, r))) {
      if (resultDigest(f) !== r.digest.toLowerCase()) return 'digest does not match its fields'
      if (keccak256(r.output) !== f.outputHash.toLowerCase()) return 'output does not match outputHash'
      ;(slot.checked ??= []).push(r)
    }
    if (f.seq !== slot.invocation.seq) return `answered seq ${f.seq} for seq ${slot.invocation.seq}`
    // Protocol v2: the signed fields name the function; a v1 answer (no function id) or another function's is not ours.
    if (f.functionId !== slot.invocation.functionId)
      return `answered for function ${JSON.stringify(f.functionId ?? null)}, not ${JSON.stringify(slot.invocation.functionId)}`
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

  /** A disagreement found after the outcome may be in the log: the log's list is updated too. */
  async function recordLate(slot: Slot, d: Disagreement) {
    const before = slot.disagreements.length
    disagree(slot, d)
    if (slot.attestedDigest !== undefined && slot.disagreements.length !== before) await log.setDisagreements(slot.invocation.id, slot.disagreements)
  }

  /** No digest can reach t shares any more (e.g. a 2–2 split): settle as disputed, the lane goes on. */
  async function maybeDispute(lane: Lane, slot: Slot) {
    if (done(slot)) return
    const disagreeing = (x: Response) => slot.disagreements.some((d) => d.replica === x.replica)
    const valid = [...slot.responses.values()].filter((x) => x.result.share && !disagreeing(x))
    // An answer without a share (from a catch-up batch) can still be asked for one: not counted as final.
    // A replica that diverged from the log for this function will not answer: final too.
    const final =
      [...slot.responses.values()].filter((x) => x.result.share || disagreeing(x)).length +
      divergence.silent(lane.functionId, replicaIndexes, (r) => slot.responses.has(r))
    if (largestGroup(valid.map((x) => [x.replica, x.result.digest])) + (n - final) >= network.t) return
    slot.disputed = true
    slot.spares?.release()
    for (const x of slot.responses.values())
      disagree(slot, { replica: x.replica, digest: x.result.digest, reason: `no quorum: fewer than ${network.t} replicas agree on any digest` })
    try {
      await log.recordDispute(slot.invocation.id, slot.disagreements)
    } catch (err) {
      slot.disputed = false // not recorded: decided again when its replica loop, started again, re-sends
      throw err
    }
    slot.recorded = true
    slot.invocation = { ...slot.invocation, state: 'disputed', disagreements: [...slot.disagreements] }
    metrics.inc('nexus_invocations_total', 'Invocations by status', { status: 'disputed' })
    onEvent(`${slot.invocation.functionId}#${slot.invocation.seq} disputed: no digest has ${network.t} shares`)
    outcomes.notify(slot)
    evict(lane, slot, n)
  }

  /** A replica answered a single invocation: count its share, combine once t agree. */
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
      if (slot.attestedDigest !== undefined && result.digest !== slot.attestedDigest)
        await recordLate(slot, { replica, digest: result.digest, reason: 'digest differs from the attested result' })
      return
    }
    const agreeing = [...slot.responses.values()].filter(
      (x) => x.result.digest === result.digest && x.result.share && !slot.disagreements.some((d) => d.replica === x.replica),
    )
    if (agreeing.length < network.t) {
      // The first wave has answered without t agreeing shares: the spares are needed now.
      if (slot.responses.size >= (slot.sent ?? 0)) slot.spares?.release()
      return maybeDispute(lane, slot)
    }
    let combined
    try {
      combined = combineSharesUnverified(
        agreeing.map((x) => x.result.share!),
        network,
        { multiply: ctx.curve?.multiply, decodeOnCurve: ctx.curve?.decodeG1OnCurve },
      )
    } catch (err) {
      if (err instanceof TooFewSignersError) {
        for (const rej of rejectedShares(err)) disagree(slot, { replica: rej.index, digest: result.digest, reason: rej.reason })
        return maybeDispute(lane, slot)
      }
      throw err
    }
    for (const rej of combined.rejected) disagree(slot, { replica: rej.index, digest: result.digest, reason: rej.reason })
    slot.attestedDigest = result.digest
    for (const other of slot.responses.values())
      if (other.result.digest !== result.digest)
        disagree(slot, { replica: other.replica, digest: other.result.digest, reason: 'digest differs from the attested result' })
    const attested: AttestedResult = createAttestedResult({
      fields: result.fields,
      output: result.output,
      signature: combined.signature,
      signers: combined.signers,
      groupPublicKey: network.groupPublicKey,
    })
    const logs = agreedLogs(
      agreeing.map((x) => x.result),
      result.digest,
    )
    if (!verifyBeforeAnswer) outcomes.answer(slot, attested, logs)
    check({ lane, slot, digest: result.digest, attested, point: combined.point, fields: result.fields, output: result.output, logs })
  }

  return { validate, disagree, recordLate, maybeDispute, onResponse }
}
