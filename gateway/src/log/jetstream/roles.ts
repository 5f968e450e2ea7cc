// Who may do what on the NATS servers of a Nexus cluster. Subject permissions are the only lock
// NATS has, so every role is written as the exact subjects it may publish and subscribe to, and
// everything else is refused (an allow list implies "deny the rest"):
// - a gateway appends to the log and writes its derived records, states and artifacts, reads them,
//   and reads every replica's shares; it cannot publish a share or touch a replica's consumer;
// - replica i reads the streams, consumes the log through its own durable consumer `replica-<i>`,
//   and publishes only shares whose last token is `i`; it cannot write any of the log's streams;
// - in a DKG ceremony (`nexus keygen --dkg --nats`) a gateway's user coordinates and replica i
//   speaks only as participant i.
// Each user's replies arrive on its own inbox prefix (`_INBOX.<user>`), so no user can read another's
// JetStream answers. Stream deletion, purge and message deletion are nobody's. docs/cluster.md
// ("Roles and permissions", "Trust model") explains the choices and what they do not stop.
import type { Subjects } from './subjects.ts'

export type RoleKind = 'gateway' | 'replica'

/** A user of the cluster: `gateway-<k>` or `replica-<i>` (k, i from 1). */
export type Role = { kind: RoleKind; index: number; name: string }

export type SubjectPermission = { allow: string[]; deny?: string[] }
export type Permissions = { publish: SubjectPermission; subscribe: SubjectPermission }

export const roleName = (kind: RoleKind, index: number): string => `${kind}-${index}`

/** Where a user's request replies arrive; its subscribe permission covers only this. */
export const inboxPrefixOf = (name: string): string => `_INBOX.${name}`

/** The one durable consumer on the log stream that replica i may create and read. */
export const replicaConsumer = (index: number): string => `replica-${index}`

const API = '$JS.API'

/** The JetStream API requests that only read a stream (info, one message by seq or subject). */
const readStream = (stream: string): string[] => [
  `${API}.STREAM.INFO.${stream}`,
  `${API}.STREAM.MSG.GET.${stream}`,
  `${API}.DIRECT.GET.${stream}`,
  `${API}.DIRECT.GET.${stream}.>`,
]

/**
 * Everything one consumer of `stream` named `name` needs (`*`: any name): create it (2.9 puts the
 * name and filter in the subject), read its info, pull, acknowledge, delete it.
 */
const useConsumer = (stream: string, name: string): string[] => [
  `${API}.CONSUMER.CREATE.${stream}.${name}`,
  `${API}.CONSUMER.CREATE.${stream}.${name}.>`,
  `${API}.CONSUMER.DURABLE.CREATE.${stream}.${name}`,
  `${API}.CONSUMER.INFO.${stream}.${name}`,
  `${API}.CONSUMER.MSG.NEXT.${stream}.${name}`,
  `${API}.CONSUMER.DELETE.${stream}.${name}`,
  `$JS.ACK.${stream}.${name}.>`,
]

const streamsOf = (subjects: Subjects): string[] => Object.values(subjects.streams)

/** Gateway k of a cluster with `replicas` replicas. */
export function gatewayPermissions(subjects: Subjects, name: string, replicas: number): Permissions {
  const streams = streamsOf(subjects)
  return {
    publish: {
      allow: [
        subjects.logAll,
        ...subjects.indexAll,
        subjects.stateAll,
        subjects.artifactAll,
        `${API}.INFO`,
        // The first gateway to start creates the streams (streams.ts); an existing stream is never
        // changed by a create, and no role may update, purge or delete one.
        ...streams.map((s) => `${API}.STREAM.CREATE.${s}`),
        ...streams.flatMap(readStream),
        ...streams.flatMap((s) => useConsumer(s, '*')),
        // A gateway's user may coordinate a DKG ceremony: announce it, close its phases, create the
        // ceremony stream and follow it (ordered consumers have generated names, hence `*`).
        subjects.dkg.coordinatorAll,
        `${API}.STREAM.CREATE.${subjects.dkg.stream}`,
        ...readStream(subjects.dkg.stream),
        ...useConsumer(subjects.dkg.stream, '*'),
      ],
      // A replica's consumer is its own: a gateway that could pull or acknowledge from it could make
      // that replica skip invocations, and one that could create it could choose where it delivers.
      deny: Array.from({ length: replicas }, (_, i) => useConsumer(subjects.streams.log, replicaConsumer(i + 1))).flat(),
    },
    subscribe: { allow: [`${inboxPrefixOf(name)}.>`, subjects.shareAll] },
  }
}

/** Replica i: reads the log, publishes its own shares and DKG messages, writes nothing else. */
export function replicaPermissions(subjects: Subjects, name: string, index: number): Permissions {
  return {
    publish: {
      allow: [
        `${API}.INFO`,
        ...streamsOf(subjects).flatMap(readStream),
        ...useConsumer(subjects.streams.log, replicaConsumer(index)),
        subjects.sharesBy(index),
        // In a DKG ceremony replica i speaks only as participant i; it follows the public
        // transcript like anyone (the stream holds nothing secret: shares travel sealed).
        subjects.dkg.by(index),
        ...readStream(subjects.dkg.stream),
        ...useConsumer(subjects.dkg.stream, '*'),
      ],
    },
    subscribe: { allow: [`${inboxPrefixOf(name)}.>`] },
  }
}

export function permissionsOf(subjects: Subjects, role: Role, replicas: number): Permissions {
  return role.kind === 'gateway' ? gatewayPermissions(subjects, role.name, replicas) : replicaPermissions(subjects, role.name, role.index)
}
