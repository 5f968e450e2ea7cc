// How a replica applies invocations of one function, alone or as a batch: each is admitted (the
// checks whose errors the API answers, in this order), consecutive admitted invocations of one
// code run in ONE sandbox message (sandbox.ts `executeBatch`; each on a fresh instance, each seeing
// the state the earlier ones left), then each outcome is committed and its digest computed, in seq
// order. A batch of one is `execute`. A failure part-way (watchdog, failed chain read, a check)
// keeps the seqs committed before it, which a resend answers from the record.
import type { Address, Hex } from 'viem'
import { bytesHex, keccak256 } from '@nexus/protocol'
import { resultDigest, type ResultFields } from '@nexus/protocol/attest'
import type { ExecuteRequest, ExecutedResult, LogLine, ResultShare } from '@nexus/protocol'
import type { HotStore } from '../store/hot-store.ts'
import type { AppliedResult } from '../store/replica-store.ts'
import type { Manifest } from '../build/artifact.ts'
import type { Sandbox } from '../sandbox/sandbox.ts'
import { WatchdogError } from '../sandbox/sandbox.ts'
import type { InvocationOutcome } from '../sandbox/run-invocation.ts'
import type { InvocationInfo } from '../sandbox/invocation-context.ts'
import type { ReadRequest } from '../sandbox/sync-channel.ts'
import { withDefaultLimits, type Limits } from '../sandbox/limits.ts'
import { abortedOutcome, type createWatchdogMemory } from './watchdog-abort.ts'
import { CodeNotBoundError, SeqGapError, SeqMismatchError } from './errors.ts'
import { checkTrigger } from './trigger-check.ts'
import { derivedRandomSeed } from './random-seed.ts'
import type { VersionStore } from '../store/function-versions.ts'
import type { ChainReader } from '../chain/reader.ts'
import { isChainRead } from '../chain/requests.ts'
import { ChainUnavailableError } from '../chain/errors.ts'

export type ApplierParts = {
  store: HotStore
  versionStore: VersionStore
  sandbox: Sandbox
  chain: ChainReader
  watchdogs: ReturnType<typeof createWatchdogMemory>
  load(codeHash: string): Promise<{ dir: string; manifest: Manifest }>
  signShare?: (digest: Hex) => ResultShare
  chainId: bigint
  verifier: Address
  requireVersions: boolean
  freshInstances?: boolean
  randomSeed?: (request: ExecuteRequest, derived: Hex) => Hex
}

/** An invocation that passed its checks and is next in line: what it runs with. */
type Admitted = { request: ExecuteRequest; inputHash: Hex; dir: string; limits: Limits; info: InvocationInfo }

export function createApplier(parts: ApplierParts) {
  const { store, sandbox, watchdogs } = parts

  // Protocol v2: the digest binds the function id, so a function's result cannot pass for another's
  // with the same code (docs/protocol.md §1).
  function fieldsOf(request: { functionId: string; codeHash: Hex }, r: AppliedResult): ResultFields {
    return {
      chainId: parts.chainId,
      verifier: parts.verifier,
      functionId: request.functionId,
      codeHash: request.codeHash,
      seq: r.seq,
      inputHash: bytesHex(r.inputHash),
      status: r.status as ResultFields['status'],
      outputHash: keccak256(r.output),
      stateRootBefore: bytesHex(r.stateRootBefore),
      stateRootAfter: bytesHex(r.stateRootAfter),
      fuelUsed: r.fuelUsed,
    }
  }

  function sign(fields: ResultFields, output: Uint8Array, logs: LogLine[], signIt: boolean): ExecutedResult {
    const digest = resultDigest(fields)
    const share = parts.signShare && signIt ? parts.signShare(digest) : undefined
    return { fields, digest, output, share, logs }
  }

  /**
   * The checks of one invocation, `queued` places after the last applied seq (the admitted ones not
   * committed yet): its recorded result when it was applied before, else what it runs with.
   */
  async function admit(request: ExecuteRequest, queued: number, signIt: boolean): Promise<{ recorded: ExecutedResult } | { admitted: Admitted }> {
    if (parts.requireVersions) {
      const active = await parts.versionStore.activeAt(request.functionId, request.seq)
      if (active !== request.codeHash) throw new CodeNotBoundError(request.functionId, request.seq, request.codeHash, active)
    }
    const inputHash = keccak256(request.input)
    const previous = await store.applied(request.functionId, request.seq)
    if (previous) {
      // A re-sent invocation is answered from the record, never re-run: exactly-once state changes.
      if (bytesHex(previous.inputHash) !== inputHash || previous.codeHash !== request.codeHash) {
        throw new SeqMismatchError(`seq ${request.seq} of ${request.functionId} was applied with different input or code`)
      }
      return { recorded: sign(fieldsOf(request, previous), previous.output, [], signIt) }
    }
    const { lastAppliedSeq } = await store.state(request.functionId)
    const next = lastAppliedSeq + 1n + BigInt(queued)
    if (request.seq !== next) throw new SeqGapError(request.functionId, next, request.seq)
    const { dir, manifest } = await parts.load(request.codeHash)
    checkTrigger(request.functionId, request.trigger, manifest as unknown as Record<string, unknown>)
    const derivedSeed = derivedRandomSeed(request.codeHash, request.functionId, request.seq, inputHash)
    const randomSeed = parts.randomSeed ? parts.randomSeed(request, derivedSeed) : derivedSeed
    if (!request.abort) watchdogs.check(request.functionId, request.seq, inputHash)
    const info: InvocationInfo = {
      functionId: request.functionId,
      seq: request.seq,
      trigger: request.trigger,
      chainId: request.chainId ?? parts.chainId,
      blockNumber: request.blockNumber ?? 0n,
      timestampMs: request.timestampMs,
      randomSeed,
    }
    return { admitted: { request, inputHash, dir, limits: withDefaultLimits(manifest.limits), info } }
  }

  /** Records one outcome on top of the function's state and computes its digest. */
  async function commit({ request, inputHash }: Admitted, outcome: InvocationOutcome, signIt: boolean): Promise<ExecutedResult> {
    const { stateRoot } = await store.state(request.functionId)
    const record = {
      seq: request.seq,
      codeHash: request.codeHash,
      inputHash: new Uint8Array(Buffer.from(inputHash.slice(2), 'hex')),
      status: outcome.status,
      output: outcome.output,
      fuelUsed: outcome.fuelUsed,
      stateRootBefore: stateRoot,
    }
    const stateRootAfter = await store.commit(request.functionId, record, outcome.writes)
    watchdogs.forget(request.functionId, request.seq)
    return sign(fieldsOf(request, { ...record, stateRootAfter }), outcome.output, outcome.logs, signIt)
  }

  /** Runs admitted invocations of one code (none aborted) in one sandbox message and commits them in order. */
  async function run(batch: Admitted[], signIt: boolean): Promise<ExecutedResult[]> {
    const first = batch[0]!
    let chainFailure: { index: number; error: unknown } | undefined
    const read = (r: ReadRequest, index: number) => {
      if (!isChainRead(r)) return store.read(first.request.functionId, r)
      const { request } = batch[index]!
      const pin = { chainId: request.chainId ?? parts.chainId, blockNumber: request.blockNumber }
      return parts.chain.read(pin, r).catch((error: unknown) => {
        if (!chainFailure || index < chainFailure.index) chainFailure = { index, error }
        throw error
      })
    }
    let outcomes: InvocationOutcome[]
    try {
      outcomes = await sandbox.executeBatch({
        codeHash: first.request.codeHash,
        dir: first.dir,
        limits: first.limits,
        reuse: !parts.freshInstances,
        invocations: batch.map((a) => ({ info: a.info, input: a.request.input })),
        read,
      })
    } catch (err) {
      if (!(err instanceof WatchdogError)) throw err
      const timedOut = batch[err.index]!
      watchdogs.remember(timedOut.request.functionId, timedOut.request.seq, timedOut.inputHash)
      // The outcomes before it went down with the worker: run them again (deterministic, so the
      // same), so that the timed-out seq is the one after the last applied, as the gateway expects.
      if (err.index > 0) await run(batch.slice(0, err.index), signIt)
      throw err
    }
    // A failed RPC is not a property of the invocation: record nothing from it on, let the gateway retry.
    const valid = chainFailure ? outcomes.slice(0, chainFailure.index) : outcomes
    const results: ExecutedResult[] = []
    for (const [i, outcome] of valid.entries()) results.push(await commit(batch[i]!, outcome, signIt))
    if (chainFailure) {
      const { error } = chainFailure
      throw error instanceof ChainUnavailableError ? error : new ChainUnavailableError('Chain read failed.', { cause: error })
    }
    return results
  }

  /**
   * Applies consecutive seqs of one function in order. Results carry a share only with `signIt`
   * (a batch signs its Merkle root instead). On an error, what came before it stays committed.
   */
  async function applyAll(requests: ExecuteRequest[], signIt: boolean): Promise<ExecutedResult[]> {
    const results: ExecutedResult[] = []
    let pending: Admitted[] = []
    const runPending = async () => {
      if (pending.length) results.push(...(await run(pending, signIt)))
      pending = []
    }
    try {
      for (const request of requests) {
        const admitted = await admit(request, pending.length, signIt)
        if ('recorded' in admitted) {
          results.push(admitted.recorded)
          continue
        }
        const a = admitted.admitted
        if (pending.length && pending[0]!.request.codeHash !== a.request.codeHash) await runPending()
        if (a.request.abort) {
          await runPending()
          results.push(await commit(a, abortedOutcome(a.limits), signIt))
        } else {
          pending.push(a)
        }
      }
    } catch (err) {
      // A check refused this one: what was admitted before it still runs and is committed.
      await runPending()
      throw err
    }
    await runPending()
    return results
  }

  return { applyAll }
}
