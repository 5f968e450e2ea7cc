// Many gateways share one log, and each gateway's lanes only hear of its own appends. The follower
// reads the log stream as it grows (an ordered consumer, headers only: the subject names the
// function) and hands every invocation another gateway appended to the scheduler, so every gateway
// collects the shares of every invocation, combines the same attested result and records it (BLS
// threshold signatures are unique per message, so the records agree; the state record is
// last-writer-wins). Then an invocation is attested even when the gateway that appended it stops
// right after acknowledging it.
//
// A message on a function's subject is only a hint: it may be an orphan (log/jetstream/chain.ts),
// so what counts is read back through the Log, which answers only the function's real history.
import { DeliverPolicy, jetstreamManager, jetstream, type ConsumerMessages } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import type { Log } from '../log/index.ts'
import { untoken, type Subjects } from '../log/jetstream/subjects.ts'
import type { Scheduler } from '../scheduler/index.ts'

/** Rows read per log read while catching a function up. */
const PAGE = 256

export type LogFollower = {
  /** Begin after `scheduler.start()`: follow every log message stored after `mark` (see `logMark`). */
  start(mark: number): Promise<void>
  stop(): Promise<void>
}

/** The log stream's last message, read before `scheduler.start()` loads what is pending (nothing falls between). */
export async function logMark(nc: NatsConnection, subjects: Subjects): Promise<number> {
  const jsm = await jetstreamManager(nc)
  return (await jsm.streams.info(subjects.streams.log)).state.last_seq
}

export function createLogFollower({
  nc,
  log,
  scheduler,
  subjects,
  onEvent = () => {},
}: {
  nc: NatsConnection
  log: Log
  scheduler: Scheduler
  subjects: Subjects
  onEvent?: (message: string) => void
}): LogFollower {
  /** Per function: the last seq handed to the scheduler (its lane's head when the follower started). */
  const followed = new Map<string, bigint>()
  /** Functions being caught up, and whether more arrived meanwhile. */
  const busy = new Map<string, boolean>()
  let messages: ConsumerMessages | undefined
  let reading: Promise<void> | undefined
  let stopped = false

  /** Read the function's invocations after the last one handed over, until none are left. */
  async function catchUp(functionId: string) {
    if (busy.has(functionId)) return void busy.set(functionId, true)
    busy.set(functionId, false)
    try {
      do {
        busy.set(functionId, false)
        // A function this gateway has no lane for was deployed since start: its whole history is new here.
        let after = followed.get(functionId) ?? 0n
        for (;;) {
          const rows = await log.range(functionId, after, PAGE)
          if (rows.length > 0) {
            scheduler.adopt(rows)
            after = rows.at(-1)!.seq
            followed.set(functionId, after)
          } else if (!scheduler.hasLane(functionId) && (await log.getFunction(functionId))) {
            scheduler.ensureLane(functionId, 0n) // a deploy with no invocation yet
          }
          if (rows.length < PAGE) break
        }
      } while (busy.get(functionId) && !stopped)
    } catch (err) {
      // The next message on the subject tries again; the lane's own loops are not affected.
      onEvent(`log follower: reading ${functionId} failed: ${err instanceof Error ? err.message : String(err)}`)
    } finally {
      busy.delete(functionId)
    }
  }

  return {
    async start(mark) {
      for (const lane of scheduler.status()) followed.set(lane.functionId, BigInt(lane.head))
      const consumer = await jetstream(nc).consumers.get(subjects.streams.log, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: mark + 1,
        headers_only: true,
      })
      messages = await consumer.consume()
      const current = messages
      reading = (async () => {
        for await (const m of current) {
          if (stopped) break
          if (!m.subject.startsWith(subjects.logPrefix)) continue
          void catchUp(untoken(m.subject.slice(subjects.logPrefix.length)))
        }
      })().catch((err: unknown) => onEvent(`log follower stopped: ${err instanceof Error ? err.message : String(err)}`))
    },
    async stop() {
      stopped = true
      await messages?.close()
      await reading
    },
  }
}
