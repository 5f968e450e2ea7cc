// Where each record of the JetStream log lives: four streams under one prefix, and the subjects in
// them. Function ids and idempotency keys are arbitrary strings, and a subject token may not hold
// '.', '*', '>' or whitespace: they travel base64url-encoded (long keys as their sha256), so any id
// maps to exactly one token and no id can reach into another's subjects.
import { createHash } from 'node:crypto'

export type Subjects = ReturnType<typeof subjectsFor>

/** A subject token for any string: base64url after a fixed letter (so '' is a token too). */
export const token = (value: string): string => `u${Buffer.from(value, 'utf8').toString('base64url')}`

/** Keys longer than this are named by their sha256 (a subject line must stay short); the record keeps the key itself. */
const LONG_KEY = 96

const keyToken = (key: string): string => (key.length > LONG_KEY ? `h${createHash('sha256').update(key, 'utf8').digest('hex')}` : token(key))

/** Function id back from its token (the stream's subject list is how functions are listed). */
export const untoken = (t: string): string => Buffer.from(t.slice(1), 'base64url').toString('utf8')

/**
 * `prefix` names the streams (`<PREFIX>_LOG` …) and roots their subjects (`<prefix>.log.<fn>` …);
 * two logs with different prefixes share a NATS server without seeing each other.
 */
export function subjectsFor(prefix: string) {
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new Error(`JetStream log prefix "${prefix}" must be letters, digits, '-' or '_'`)
  const upper = prefix.toUpperCase()
  return {
    streams: { log: `${upper}_LOG`, index: `${upper}_IDX`, state: `${upper}_STATE`, artifacts: `${upper}_ART`, shares: `${upper}_SHARE` },
    /** The truth: one subject per function, deploys and appends in order (see chain.ts). */
    log: (functionId: string) => `${prefix}.log.${token(functionId)}`,
    logAll: `${prefix}.log.*`,
    logPrefix: `${prefix}.log.`,
    /** Derived, rebuilt from the log by whoever finds it missing: one invocation per seq … */
    invocation: (functionId: string, seq: bigint) => `${prefix}.inv.${token(functionId)}.${seq}`,
    /** … where an invocation id is, and which invocation holds an idempotency key. */
    id: (id: string) => `${prefix}.id.${token(id)}`,
    key: (functionId: string, key: string) => `${prefix}.key.${token(functionId)}.${keyToken(key)}`,
    /** The last log message of the function whose records above are all written (see indexes.ts). */
    indexed: (functionId: string) => `${prefix}.done.${token(functionId)}`,
    indexAll: [`${prefix}.inv.>`, `${prefix}.id.>`, `${prefix}.key.>`, `${prefix}.done.>`],
    /** What happened to an invocation since (attested result, dispute, abort, logs): latest record wins. */
    state: (functionId: string, seq: bigint) => `${prefix}.state.${token(functionId)}.${seq}`,
    stateAll: `${prefix}.state.>`,
    /** Artifacts in chunks (a component is larger than a NATS message), the head written last. */
    artifactHead: (codeHash: string) => `${prefix}.art.${token(codeHash)}.head`,
    /** Chunks are named by the writer's nonce: a writer that loses the race for the head overwrites nothing. */
    artifactChunk: (codeHash: string, nonce: string, k: number) => `${prefix}.art.${token(codeHash)}.chunk.${nonce}.${k}`,
    artifactAll: `${prefix}.art.>`,
    /**
     * A replica's signed share for one invocation (cluster mode: replicas pull the log and publish
     * what they applied; shares.ts). The replica index is the last token, so a permission can name
     * one replica's shares (`sharesBy`) and nothing else. Kept in their own stream (the newest per
     * subject), so a gateway that starts or reconnects late still finds them.
     */
    share: (functionId: string, seq: bigint, replica: number) => `${prefix}.share.${token(functionId)}.${seq}.${replica}`,
    sharesBy: (replica: number) => `${prefix}.share.*.*.${replica}`,
    /** Replica i's heartbeat, under its share subjects (a function token starts with 'u', never 'alive'). */
    alive: (replica: number) => `${prefix}.share.alive.0.${replica}`,
    shareAll: `${prefix}.share.>`,
    /**
     * Keys without a dealer (`nexus keygen --dkg --nats`, cli/src/dkg/subjects.ts): every ceremony's
     * messages in one stream, the sender named by the subject (`<prefix>.dkg.<ceremony>.coordinator.…`
     * or `….replica.<i>.…`), so a permission can grant each role its own messages. Not one of the
     * log's `streams`: the coordinator creates it when a ceremony starts, not a gateway.
     */
    dkg: {
      stream: `${upper}_DKG`,
      all: `${prefix}.dkg.>`,
      coordinatorAll: `${prefix}.dkg.*.coordinator.>`,
      by: (replica: number) => `${prefix}.dkg.*.replica.${replica}.>`,
    },
  }
}
