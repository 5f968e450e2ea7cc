// One function's puller in a cluster-mode replica: it applies the function's invocations from the
// log strictly in seq order, one execute per seq (each seq gets its own signed share), and publishes
// each share for the gateways. Where it stands is the replica's own store (lastAppliedSeq), never an
// in-memory guess: after any absence it goes on from there. It starts by re-publishing the last
// applied seq (answered from the replica's record), so a share lost to a crash between applying and
// publishing is published after all; the share stream keeps only the newest per subject anyway.
import { executeRequestJson, parseExecuteRequest } from '@nexus/protocol'
import type { Invocation, Log } from '@nexus/gateway'
import { requestOf } from '@nexus/gateway'
import type { SharePublisher } from '@nexus/gateway/jetstream'
import type { Replica } from '@nexus/runtime'

/** How many invocations one log read fetches ahead. */
const PREFETCH = 64

export type PullerOptions = {
  functionId: string
  replica: Replica
  log: Log
  publisher: SharePublisher
  /** Still running? The node's stop turns this false. */
  isRunning: () => boolean
  /** stderr lines: a refusal, a stopped function, a retried failure. */
  warn: (message: string) => void
  /** Look at the log this often without a wake-up (an unindexed tail, a missed message). Default: 2000. */
  idleMs?: number
  /** How often a watchdog refusal asks the log whether the invocation is aborted yet. Default: 250. */
  abortPollMs?: number
}

export type FunctionPuller = { functionId: string; wake(): void; done: Promise<void> }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const codeOf = (err: unknown) => (err as { code?: unknown } | undefined)?.code
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err))

/** The execute request the replica's HTTP API would have parsed for this logged invocation. */
const executeRequestOf = (inv: Invocation) => parseExecuteRequest(executeRequestJson(requestOf(inv)))

/** A share whose publish failed (after the publisher's own retries). */
type Lost = { seq: bigint; err: unknown }

/** Why a seq stops the loop for good: the replica applied it (or its code) otherwise than the log says. */
class Diverged extends Error {}

export function startFunctionPuller(options: PullerOptions): FunctionPuller {
  const { functionId, replica, log, publisher, isRunning, warn } = options
  const idleMs = options.idleMs ?? 2000
  let wake = () => {}
  let signal = new Promise<void>((resolve) => (wake = resolve))
  const waitForWork = async (ms: number) => {
    await Promise.race([signal, sleep(ms)])
    signal = new Promise<void>((resolve) => (wake = resolve))
  }
  /** The versions last bound, and the code hashes known deployed on the replica. */
  let boundVersions = ''
  const deployed = new Set<string>()
  /** The function's code and update time when `prepare` last ran: a deploy changes them. */
  let preparedFor = ''

  async function ensureCode(codeHash: string): Promise<void> {
    if (deployed.has(codeHash)) return
    if (!(await replica.hasCode(codeHash))) {
      const artifact = await log.getArtifact(codeHash)
      if (!artifact) throw new Error(`artifact ${codeHash} is not in the log yet`)
      const manifest = artifact.manifest as unknown as Parameters<Replica['deploy']>[0]['manifest']
      await replica.deploy({ manifest, component: new Uint8Array(Buffer.from(artifact.component, 'base64')) })
    }
    deployed.add(codeHash)
  }

  /** Bind the log's versions (when they changed) and deploy their code. */
  async function prepare(): Promise<void> {
    const versions = (await log.listVersions(functionId)).map((v) => ({ fromSeq: v.fromSeq, codeHash: v.codeHash }))
    for (const v of versions) await ensureCode(v.codeHash)
    const key = JSON.stringify(versions.map((v) => [String(v.fromSeq), v.codeHash]))
    if (key === boundVersions) return
    try {
      await replica.bindVersions(functionId, versions)
    } catch (err) {
      if (codeOf(err) === 'VERSION_CONFLICT') throw new Diverged(messageOf(err))
      throw err
    }
    boundVersions = key
  }

  /**
   * Apply one seq and start publishing its share (into `sent`: the next seq runs meanwhile, in order
   * on the replica); false when it must be tried again (after `prepare`).
   */
  async function apply(inv: Invocation, sent: Promise<Lost | undefined>[]): Promise<boolean> {
    try {
      const result = await replica.execute(executeRequestOf(inv))
      sent.push(
        publisher.result(functionId, inv.seq, result).then(
          () => undefined,
          (err: unknown) => ({ seq: inv.seq, err }),
        ),
      )
      return true
    } catch (err) {
      switch (codeOf(err)) {
        case 'WATCHDOG':
          await publisher.refusal(functionId, inv.seq, 'WATCHDOG', messageOf(err))
          await waitForAbort(inv.seq)
          return false
        case 'SEQ_MISMATCH':
          throw new Diverged(messageOf(err))
        case 'CODE_NOT_BOUND':
        case 'UNKNOWN_CODE':
          boundVersions = '' // a deploy since the last bind: bind and deploy again
          deployed.clear()
          return false
        case 'SEQ_GAP':
          return false // the store is ahead or behind what was read: read it again
        default:
          throw err
      }
    }
  }

  /** After a watchdog refusal: the seq is applied again only once the log marks it aborted (a gateway records that). */
  async function waitForAbort(seq: bigint): Promise<void> {
    let said = false
    while (isRunning()) {
      const inv = await log.getBySeq(functionId, seq).catch(() => undefined)
      if (inv?.abort === 'watchdog') return
      if (inv && inv.state !== 'pending' && !said) {
        said = true
        warn(`seq ${seq} of ${functionId} was settled without this replica after its watchdog fired; waiting for an abort that may not come`)
      }
      await sleep(options.abortPollMs ?? 250)
    }
  }

  async function loop(): Promise<void> {
    // Set at the first look at the store: the last applied seq, whose share is published again (see the header).
    let from = 0n
    let delay = 100
    while (isRunning()) {
      try {
        const applied = (await replica.state(functionId)).lastAppliedSeq
        if (from === 0n) from = applied > 0n ? applied : 1n
        if (from > applied + 1n) from = applied + 1n
        const fn = await log.getFunction(functionId)
        // A deploy compiles here, when its message arrives, not at the first invocation: the
        // gateway waits for the first share only as long as for any other.
        const stamp = fn ? `${fn.codeHash}@${fn.updatedAt.getTime()}` : ''
        if (fn && (stamp !== preparedFor || boundVersions === '')) {
          await prepare()
          preparedFor = stamp
        }
        if (!fn || fn.lastSeq < from) {
          await waitForWork(idleMs)
          continue
        }
        const invocations = await log.range(functionId, from - 1n, PREFETCH)
        let progressed = false
        const sent: Promise<Lost | undefined>[] = []
        let failure: unknown
        try {
          for (const inv of invocations) {
            if (!isRunning() || inv.seq !== from) break // a hole: the log has not indexed it yet
            if (!(await apply(inv, sent))) break
            from++
            progressed = true
          }
        } catch (err) {
          failure = err
        }
        // A share not stored: publish again from it (seqs applied since are answered from the record).
        const lost = (await Promise.all(sent)).find((x) => x !== undefined)
        if (lost) from = lost.seq
        if (lost || failure) throw lost?.err ?? failure
        delay = 100
        // Nothing readable yet (an unindexed tail a gateway has still to index): look again shortly.
        if (!progressed) await waitForWork(200)
      } catch (err) {
        if (err instanceof Diverged) {
          await publisher.refusal(functionId, from, 'SEQ_MISMATCH', err.message).catch(() => {})
          warn(
            `stopped applying ${functionId} at seq ${from}: this replica diverged from the log (${err.message}); it stays stopped here until this replica's copy of the function is reset and the replica restarted`,
          )
          return
        }
        if (!isRunning()) return
        warn(`${functionId} at seq ${from}: ${messageOf(err)}; retrying in ${delay} ms`)
        await sleep(delay)
        delay = Math.min(delay * 2, 5000)
      }
    }
  }

  return { functionId, wake: () => wake(), done: loop() }
}
