// A cluster-mode replica's wake-ups: its durable pull consumer `replica-<i>` on the log stream (the
// one consumer its login may use, roles.ts). Each log message's subject names the function it
// extends; that function's puller is woken, then the message is acknowledged. The consumer only
// says "look"; where the replica stands is its store's business, so messages from before the
// consumer existed are not replayed (deliver new), and a lost wake-up is caught by the scan.
import { AckPolicy, type ConsumerMessages, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { isTransient, replicaConsumer, type subjectsFor, untoken } from '@nexus/gateway/jetstream'

export type LogWakeups = { close(): Promise<void> }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err))

/**
 * Resolves once the consumer runs. A refusal (another replica's consumer, a login without the
 * permission) rejects at once; a lost server or a leader election is waited out, at the start and after.
 */
export async function followLog(parameters: {
  nc: NatsConnection
  subjects: ReturnType<typeof subjectsFor>
  index: number
  wake: (functionId: string) => void
  warn: (message: string) => void
}): Promise<LogWakeups> {
  const { nc, subjects, index, wake, warn } = parameters
  const stream = subjects.streams.log
  const name = replicaConsumer(index)
  const jsm = await jetstreamManager(nc)
  const js = jetstream(nc)
  let running = true

  /** Create the consumer if missing (an existing one keeps its position) and start pulling from it. */
  async function open(): Promise<ConsumerMessages> {
    for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
      try {
        await jsm.consumers.add(stream, {
          durable_name: name,
          ack_policy: AckPolicy.Explicit,
          filter_subject: subjects.logAll,
          deliver_policy: DeliverPolicy.New,
        })
        return await (await js.consumers.get(stream, name)).consume({ max_messages: 256 })
      } catch (err) {
        if (!isTransient(err) || !running) throw err
        warn(`log consumer ${name}: ${messageOf(err)}; trying again in ${delay} ms`)
        await sleep(delay)
      }
    }
  }

  let messages = await open()
  const done = (async () => {
    while (running) {
      try {
        for await (const m of messages) {
          wake(untoken(m.subject.slice(subjects.logPrefix.length)))
          m.ack()
        }
        if (running) messages = await open() // the consumer went away (deleted, a server lost for good)
      } catch (err) {
        if (!running) return
        warn(`log consumer ${name}: ${messageOf(err)}; reopening it`)
        await sleep(1000)
        messages = await open().catch(() => messages)
      }
    }
  })()

  return {
    async close() {
      running = false
      await messages.close().catch(() => {})
      await done
    },
  }
}
