// The ordered log on NATS JetStream, behind the same `Log` interface as the PGlite/Postgres log and
// held to the same conformance suite (../log.case.ts). Several gateways may share one: order and
// gap-free seqs come from conditional publishes on each function's subject (chain.ts), idempotency
// keys from records the log keeps itself (indexes.ts), and every write is acknowledged only once
// the stream has stored it on a quorum of its replicas. docs/cluster.md describes the layout.
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import type { Log } from '../index.ts'
import { createAppender } from './append.ts'
import { createArtifacts } from './artifacts.ts'
import { createChain } from './chain.ts'
import { createFunctions } from './functions.ts'
import { createIndexes } from './indexes.ts'
import { createReads } from './reads.ts'
import type { NatsCredentials } from './auth-config.ts'
import { natsLogin } from './login.ts'
import { createStates } from './state.ts'
import { retrying } from './retry.ts'
import { ensureStreams, type StreamOptions, waitForStreams } from './streams.ts'
import { subjectsFor } from './subjects.ts'

export type CreateJetStreamLogParameters = StreamOptions & {
  /** An open connection (the caller closes it), or `servers` to open one (closed by `close()`). */
  nc?: NatsConnection
  /** e.g. 'nats://127.0.0.1:4222' or a list of a cluster's servers. */
  servers?: string | string[]
  /** Names the streams and roots the subjects; logs with other prefixes are invisible. Default: 'nexus'. */
  prefix?: string
  /** With `servers`: log in as this cluster user (a gateway's, see auth-config.ts). Default: no login. */
  credentials?: NatsCredentials
  /**
   * A reader that may not write (a replica user, roles.ts): it never creates the streams (it waits
   * until a gateway has) and never writes index records; a read past the index answers "not there
   * yet" (undefined, or a shorter range) until a gateway indexes the tail. Writes are refused by the
   * server. Default: false.
   */
  readOnly?: boolean
}

export { type ClusterAuth, type ClusterUser, createClusterAuth, type NatsCredentials, renderAuthorization } from './auth-config.ts'
export { natsLogin } from './login.ts'
export { isTransient } from './retry.ts'
export { inboxPrefixOf, type Permissions, permissionsOf, replicaConsumer, type Role, type RoleKind, roleName } from './roles.ts'
export { subjectsFor, untoken } from './subjects.ts'
export {
  createShareInbox,
  createSharePublisher,
  type ShareAnswer,
  type ShareInbox,
  type ShareMessage,
  type SharePublisher,
  type ShareRefusal,
} from './shares.ts'

/** The names of the streams a log with this prefix keeps (for tools that remove a test's or bench's log). */
export const jetStreamLogStreams = (prefix = 'nexus'): string[] => Object.values(subjectsFor(prefix).streams)

export type JetStreamLog = { log: Log; nc: NatsConnection; close: () => Promise<void> }

/** @example const { log, close } = await createJetStreamLog({ servers: process.env.NATS_URL, replicas: 3 }) */
export async function createJetStreamLog(parameters: CreateJetStreamLogParameters): Promise<JetStreamLog> {
  const owned = parameters.nc === undefined
  const login = parameters.credentials ? natsLogin(parameters.credentials) : {}
  const nc = parameters.nc ?? (await connect({ servers: parameters.servers ?? 'nats://127.0.0.1:4222', maxReconnectAttempts: -1, ...login }))
  const subjects = subjectsFor(parameters.prefix ?? 'nexus')
  // A connection this call opened is closed again when the start fails (JetStream not ready yet, a
  // refused login): left open, its reconnect timers would keep the caller's process alive.
  const closingOnFailure = <T>(step: Promise<T>) =>
    step.catch(async (err: unknown) => {
      if (owned) await nc.close()
      throw err
    })
  const jsm = await closingOnFailure(jetstreamManager(nc))
  await closingOnFailure(parameters.readOnly ? waitForStreams(jsm, subjects) : ensureStreams(jsm, subjects, parameters))
  const js = jetstream(nc)
  const indexes = createIndexes({ js, jsm, subjects, readOnly: parameters.readOnly })
  const chain = createChain({ js, jsm, subjects, startHint: indexes.mark })
  const states = createStates({ js, jsm, subjects, indexes })
  const reads = createReads({ chain, indexes, states })
  const functions = createFunctions({ jsm, chain, indexes, subjects })
  const appender = createAppender({ chain, indexes, readInvocation: reads.getBySeq })
  const artifacts = createArtifacts({ js, jsm, subjects })

  // Reads ride out a lost server like writes do (retry.ts): a caller sees a slow answer, not an error.
  const patient =
    <A extends unknown[], R>(read: (...args: A) => Promise<R>) =>
    (...args: A) =>
      retrying(() => read(...args))

  const log: Log = {
    putArtifact: artifacts.putArtifact,
    getArtifact: patient(artifacts.getArtifact),
    getManifest: patient(artifacts.getManifest),
    deployFunction: functions.deployFunction,
    getFunction: patient(functions.getFunction),
    listFunctions: patient(functions.listFunctions),
    listVersions: patient(functions.listVersions),
    append: appender.append,
    appendMany: appender.appendMany,
    getInvocation: patient(reads.getInvocation),
    getBySeq: patient(reads.getBySeq),
    range: patient(reads.range),
    firstPendingSeq: patient(reads.firstPendingSeq),
    recordResult: states.recordResult,
    recordResults: states.recordResults,
    recordAbort: states.recordAbort,
    recordDispute: states.recordDispute,
    setDisagreements: states.setDisagreements,
  }
  return { log, nc, close: async () => (owned ? nc.close() : undefined) }
}
