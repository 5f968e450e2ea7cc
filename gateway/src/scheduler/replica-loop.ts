// One loop per replica per function: it sends the function's invocations to that replica strictly
// in seq order (the replica rejects gaps with SEQ_GAP, and re-serves seqs it already applied), as a
// batch when several are pending, else one at a time behind the spares' hedge. A down, slow or
// wrong replica only stalls its own loop; refusals resending cannot fix (unknown code, unbound
// versions, divergence, a watchdog) are handled here, the rest backs off.
import type { ReplicaClient } from '../replicas/index.ts'
import type { Batches } from './batch.ts'
import type { SchedulerContext } from './context.ts'
import { bindVersions } from './divergence.ts'
import { done, firstPending, requestOf, sleep, slotFor, slotsFor, type Lane, type Slot } from './lane.ts'
import type { Quorum } from './quorum.ts'
import type { SpareControl } from './spares.ts'
import type { createWatchdogAborts } from './watchdog.ts'

export type ReplicaLoopParts = { quorum: Quorum; batches: Batches; spares: SpareControl; watchdogs: ReturnType<typeof createWatchdogAborts> }

export async function replicaLoop(ctx: SchedulerContext, { quorum, batches, spares, watchdogs }: ReplicaLoopParts, lane: Lane, client: ReplicaClient) {
  const { log, metrics, onEvent, backoff, divergence, isRunning, setReplicaUp } = ctx
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
    if (slot) await quorum.recordLate(slot, { replica: client.index, reason: `diverged from the log: ${outcome.reason}` })
    // Invocations and batches that were waiting for this replica settle without it.
    for (const b of lane.batches.values()) batches.maybeSplit(lane, b)
    for (const pending of [...lane.slots.values()]) if (!done(pending)) await quorum.maybeDispute(lane, pending)
    lane.wake()
  }
  while (isRunning()) {
    if (divergence.has(lane.functionId, client.index)) {
      lane.cursors[i] = undefined
      await divergence.waitForRepair(lane.functionId, client, isRunning, () => lane.waiting)
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
    metrics.set(
      'nexus_replica_lag',
      'Invocations the replica has not applied yet',
      { replica: client.index, function: lane.functionId },
      Number(lane.head - cursor + 1n),
    )
    if (cursor > lane.head) {
      await Promise.race([lane.waiting, sleep(1000)])
      continue
    }
    if (spares.settledRun(lane, cursor) !== undefined) {
      await spares.yieldToLiveWork(lane, i)
      if (!isRunning()) return
      if (lane.rewind[i]) continue
    }
    const run = spares.settledRun(lane, cursor)
    const batch = batches.batchAt(lane, cursor, run !== undefined && run > cursor ? run : undefined)
    if (!batch.single) {
      const loaded = await slotsFor(log, lane, batch.start, batch.end)
      if (!loaded) {
        await sleep(50)
        continue
      }
      const slots = batches.fitRequestSize(batch, loaded)
      if (batch.single) continue // cut back to one invocation: the single path below handles it
      // A spare waits here while the first wave (t loops) works through the backlog (spares.ts).
      if (!(await spares.hedgeBatch(lane, batch, slots, i))) continue
      if (!isRunning()) return
      const sentAt = performance.now()
      batch.sentAt ??= sentAt
      for (const s of slots) if (!done(s)) s.firstSentAt ??= sentAt
      const outcome = await client.executeBatch(slots.map((s) => requestOf(s.invocation)))
      if (!isRunning()) return
      switch (outcome.kind) {
        case 'ok':
          delay = backoff.minMs
          setReplicaUp(client.index, true)
          lane.cursors[i] = batch.end + 1n
          await batches.onBatchResponse(lane, batch, slots, client.index, outcome)
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
    const slot = await slotFor(log, lane, cursor)
    if (!slot) {
      await sleep(50)
      continue
    }
    const caughtUp = run !== undefined // already on the catch-up path above
    await spares.hedge(slot)
    if (!isRunning()) return
    // Released because the invocation was attested without this replica: catch up later (above).
    if (!caughtUp && spares.settledRun(lane, cursor) !== undefined) continue
    const inv = slot.invocation
    // From the first send until the answer (a spare sent after the answer must not start a new clock).
    if (!done(slot)) slot.firstSentAt ??= performance.now()
    const outcome = await client.execute(requestOf(inv))
    if (!isRunning()) return
    // This replica did not answer this seq: whoever waits as a spare goes now.
    if (outcome.kind !== 'ok') slot.spares?.release()
    switch (outcome.kind) {
      case 'ok':
        delay = backoff.minMs
        setReplicaUp(client.index, true)
        lane.cursors[i] = cursor + 1n
        await quorum.onResponse(lane, slot, client.index, outcome.result)
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
