// The NATS side of a ceremony: one JetStream stream per prefix keeps every ceremony message (for a
// day), and each reader follows its ceremony's subjects from the first message with an ordered
// consumer. Reading from a stream rather than plain subscriptions means a participant that starts
// after the coordinator (or before it) still sees everything, in the one order everyone sees.
import { jetstream, jetstreamManager, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream'
import { AuthorizationError, connect, type NatsConnection } from '@nats-io/transport-node'
import type { NatsCredentials } from '@nexus/gateway/jetstream'
import { type DkgSubjects, dkgSubjects } from './subjects.ts'
import { DkgCeremonyError } from './errors.ts'

export type DkgMessage = { subject: string; body: unknown }

export type DkgChannel = {
  subjects: DkgSubjects
  /** Publishes a JSON body; resolves once the stream has stored it. */
  publish(subject: string, body: unknown): Promise<void>
  /** The ceremony's messages from its first, in stream order, until `close()`. */
  messages(): AsyncIterable<DkgMessage>
  /** Whether the stream already holds a message on `subject` (a coordinator resuming its ceremony). */
  has(subject: string): Promise<boolean>
  close(): Promise<void>
}

export type OpenDkgChannelParameters = {
  servers: string | string[]
  prefix: string
  ceremony: string
  /** Coordinator: create the stream if it is missing, with this many copies. Participants only wait for it. */
  create?: { replicas: number }
  /** How long a participant waits for the stream to appear. Default: 60 s. */
  waitMs?: number
  /** Connection name shown by the NATS server's monitoring. */
  name: string
  /**
   * Log in as this cluster user (a NATS server with authorization, docs/cluster.md): a gateway's user
   * coordinates, `replica-<i>` takes part as participant i. Default: no login (an open server).
   */
  credentials?: NatsCredentials
}

/** Ceremony transcripts are public and only needed while it runs; a day leaves time to read one afterwards. */
const KEEP_NS = 24 * 3600 * 1e9

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  return jsm.streams.info(name).then(
    () => true,
    (err: unknown) => {
      if ((err as { code?: unknown }).code === 10059) return false // stream not found
      throw err
    },
  )
}

/** @example const channel = await openDkgChannel({ servers: 'nats://127.0.0.1:4222', prefix: 'nexus', ceremony, name: 'dkg 2' }) */
export async function openDkgChannel(p: OpenDkgChannelParameters): Promise<DkgChannel> {
  const subjects = dkgSubjects(p.prefix, p.ceremony)
  let nc: NatsConnection
  try {
    // Loaded only to log in: an open server's participant needs nothing of the gateway package.
    const login = p.credentials ? (await import('@nexus/gateway/jetstream')).natsLogin(p.credentials) : {}
    nc = await connect({ servers: p.servers, ...login, name: p.name, maxReconnectAttempts: -1 })
  } catch (err) {
    if (err instanceof AuthorizationError)
      throw new DkgCeremonyError(
        p.credentials
          ? `NATS at ${String(p.servers)} refused the login of ${p.credentials.name}: not a user of this cluster`
          : `NATS at ${String(p.servers)} refused a connection without credentials: give --credentials <file> (a cluster user's, e.g. .nexus-cluster/credentials/replica-<i>.json)`,
        { cause: err },
      )
    throw new DkgCeremonyError(`cannot connect to NATS at ${String(p.servers)}`, { cause: err })
  }
  try {
    const jsm = await jetstreamManager(nc)
    if (p.create) {
      const config: Partial<StreamConfig> & { name: string } = {
        name: subjects.stream,
        subjects: [subjects.streamSubjects],
        storage: 'file' as StreamConfig['storage'],
        num_replicas: p.create.replicas,
        max_age: KEEP_NS,
      }
      if (!(await streamExists(jsm, subjects.stream))) await jsm.streams.add(config)
    } else {
      const until = Date.now() + (p.waitMs ?? 60_000)
      while (!(await streamExists(jsm, subjects.stream))) {
        if (Date.now() > until) throw new DkgCeremonyError(`no DKG stream ${subjects.stream} on the NATS server: is the coordinator running?`)
        await sleep(250)
      }
    }
    const js = jetstream(nc)
    const open: { stop(): void }[] = []
    return {
      subjects,
      async publish(subject, body) {
        await js.publish(subject, JSON.stringify(body))
      },
      async *messages() {
        const consumer = await js.consumers.get(subjects.stream, { filter_subjects: subjects.all })
        const iterator = await consumer.consume()
        open.push(iterator)
        for await (const m of iterator) {
          let body: unknown
          try {
            body = m.json()
          } catch {
            body = undefined // not JSON: the transcript ignores it like any malformed message
          }
          yield { subject: m.subject, body }
        }
      },
      async has(subject) {
        return (await jsm.streams.getMessage(subjects.stream, { last_by_subj: subject })) !== null
      },
      async close() {
        for (const iterator of open) iterator.stop()
        await nc.close()
      },
    }
  } catch (err) {
    await nc.close()
    throw err
  }
}
