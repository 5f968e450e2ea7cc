// Where a DKG ceremony's messages live on NATS. One JetStream stream per prefix holds every
// ceremony (`<PREFIX>_DKG`, subjects `<prefix>.dkg.>`); a ceremony id scopes its subjects, and the
// sender is named by the subject itself (`…replica.<i>.deal`, `…coordinator.close.deal`), so NATS
// subject permissions decide who may speak for whom (docs/cluster.md, "Keys without a dealer"):
// the roles' permissions (gateway roles.ts) name the same stream and subjects, `subjectsFor(prefix).dkg`.

/** The phases the coordinator closes, in order; `done` follows the last. */
export const PHASES = ['hello', 'deal', 'complaints', 'answers'] as const
export type Phase = (typeof PHASES)[number]

/** What a participant publishes, one message of each kind per ceremony. */
export const PARTICIPANT_KINDS = ['hello', 'deal', 'complaints', 'answers', 'done'] as const
export type ParticipantKind = (typeof PARTICIPANT_KINDS)[number]

export type Sender = { from: 'coordinator'; kind: 'start' | `close.${Phase}` } | { from: number; kind: ParticipantKind }

const TOKEN = /^[A-Za-z0-9_-]+$/

export type DkgSubjects = ReturnType<typeof dkgSubjects>

/** Subjects of ceremony `ceremony` under `prefix` (both `[A-Za-z0-9_-]`; the ceremony id at most 64 characters). */
export function dkgSubjects(prefix: string, ceremony: string) {
  if (!TOKEN.test(prefix)) throw new Error(`NATS prefix "${prefix}" must be letters, digits, '-' or '_'`)
  if (!TOKEN.test(ceremony) || ceremony.length > 64) throw new Error(`ceremony id "${ceremony}" must be 1..64 letters, digits, '-' or '_'`)
  const root = `${prefix}.dkg.${ceremony}`
  return {
    stream: `${prefix.toUpperCase()}_DKG`,
    /** Every ceremony under the prefix (the stream's subject filter). */
    streamSubjects: `${prefix}.dkg.>`,
    /** This ceremony's messages. */
    all: `${root}.>`,
    start: `${root}.coordinator.start`,
    close: (phase: Phase) => `${root}.coordinator.close.${phase}`,
    participant: (index: number, kind: ParticipantKind) => `${root}.replica.${index}.${kind}`,
    /** Who sent a message, read from its subject; `undefined` for anything that is not a ceremony message. */
    sender(subject: string): Sender | undefined {
      if (!subject.startsWith(`${root}.`)) return undefined
      const rest = subject.slice(root.length + 1).split('.')
      if (rest[0] === 'coordinator') {
        if (rest.length === 2 && rest[1] === 'start') return { from: 'coordinator', kind: 'start' }
        const phase = PHASES.find((p) => p === rest[2])
        if (rest.length === 3 && rest[1] === 'close' && phase) return { from: 'coordinator', kind: `close.${phase}` }
        return undefined
      }
      const kind = PARTICIPANT_KINDS.find((k) => k === rest[2])
      if (rest.length !== 3 || rest[0] !== 'replica' || !/^[1-9][0-9]{0,3}$/.test(rest[1]!) || !kind) return undefined
      return { from: Number(rest[1]), kind }
    },
  }
}
