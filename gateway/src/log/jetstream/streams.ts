// The four streams of a JetStream log, created if missing. File storage, every message kept (no age
// or size limit: the log is the record), `replicas` copies: with 3, a publish is acknowledged only
// once a quorum (2 of 3) of servers has stored it, so an acknowledged append survives losing one.
import type { JetStreamManager, StreamConfig } from '@nats-io/jetstream'
import { isTransient } from './retry.ts'
import type { Subjects } from './subjects.ts'

export type StreamOptions = {
  /** Copies of each stream (1 on a single server, 3 in a 3-node cluster). Default: 1. */
  replicas?: number
  /**
   * JetStream's Nats-Msg-Id dedupe window in ms. The log does not rely on it (keys are deduped by
   * its own records, forever); it is only how long JetStream remembers message ids. Default: 2 minutes.
   */
  duplicateWindowMs?: number
}

/** Creates the streams a log under `subjects` needs (an existing stream is left as it is). */
export async function ensureStreams(jsm: JetStreamManager, subjects: Subjects, options: StreamOptions = {}): Promise<void> {
  const base: Partial<StreamConfig> = {
    storage: 'file' as StreamConfig['storage'],
    num_replicas: options.replicas ?? 1,
    duplicate_window: (options.duplicateWindowMs ?? 120_000) * 1_000_000, // nanoseconds
  }
  const wanted: (Partial<StreamConfig> & { name: string })[] = [
    // Append-only: nothing is ever replaced in the log itself.
    { ...base, name: subjects.streams.log, subjects: [subjects.logAll] },
    // Derived records and the latest state of each invocation: only the newest per subject counts
    // (a state subject keeps a few more, for the check in state.ts).
    { ...base, name: subjects.streams.index, subjects: subjects.indexAll, max_msgs_per_subject: 1 },
    { ...base, name: subjects.streams.state, subjects: [subjects.stateAll], max_msgs_per_subject: 8 },
    { ...base, name: subjects.streams.artifacts, subjects: [subjects.artifactAll], max_msgs_per_subject: 1, max_msg_size: -1 },
    // Replicas' shares (cluster mode, shares.ts): only the newest per invocation and replica counts.
    { ...base, name: subjects.streams.shares, subjects: [subjects.shareAll], max_msgs_per_subject: 1 },
  ]
  for (const config of wanted) if (!(await exists(jsm, config.name))) await jsm.streams.add(config)
}

const exists = (jsm: JetStreamManager, name: string): Promise<boolean> =>
  jsm.streams.info(name).then(
    () => true,
    (err: unknown) => {
      if ((err as { code?: unknown }).code === 10059) return false // stream not found
      throw err
    },
  )

/**
 * For a reader that may not create streams (a replica): resolves once every stream under `subjects`
 * exists (the first gateway creates them), looking again every `everyMs`; a lost server is waited out too.
 */
export async function waitForStreams(jsm: JetStreamManager, subjects: Subjects, everyMs = 500): Promise<void> {
  for (const name of Object.values(subjects.streams))
    while (!(await exists(jsm, name).catch((err: unknown) => (isTransient(err) ? false : Promise.reject(err)))))
      await new Promise((r) => setTimeout(r, everyMs))
}
