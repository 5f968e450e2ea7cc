// Artifacts on JetStream: a component (~1.6 MB as wasm, more as base64) is larger than a NATS
// message may be, so it is stored in chunks, and the head (manifest, chunk count) is written last
// and only if absent: the head's existence means the artifact is whole, and of two writers of the
// same code hash the first head wins. Chunks are named by the writer's nonce, so a writer that loses
// changes nothing that the winner's head points to.
import { randomUUID } from 'node:crypto'
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream'
import { sameManifest } from '@nexus/protocol'
import { ArtifactConflictError } from '../../errors.ts'
import type { ArtifactRecord } from '../index.ts'
import { decode, encode, isWrongLastSequence } from './records.ts'
import { retrying } from './retry.ts'
import type { Subjects } from './subjects.ts'

type ArtifactHead = { manifest: Record<string, unknown>; nonce: string; chunks: number; createdAt: string }

/** Well under the server's default 1 MB max_payload. */
const CHUNK_CHARS = 512 * 1024

export function createArtifacts({ js, jsm, subjects }: { js: JetStreamClient; jsm: JetStreamManager; subjects: Subjects }) {
  const stream = subjects.streams.artifacts

  async function head(codeHash: string): Promise<ArtifactHead | undefined> {
    const m = await jsm.streams.getMessage(stream, { last_by_subj: subjects.artifactHead(codeHash) })
    return m ? decode<ArtifactHead>(m.data) : undefined
  }

  function sameOrConflict(stored: ArtifactHead, codeHash: string, manifest: Record<string, unknown>): false {
    if (!sameManifest(stored.manifest, manifest))
      throw new ArtifactConflictError(
        `Code ${codeHash} is already deployed with another manifest (limits, triggers, world or meter differ); deploy it with the stored manifest (GET /v1/artifacts/${codeHash}) or change the code.`,
      )
    return false
  }

  return {
    /** True when stored now; false when already there with the same manifest; ArtifactConflictError otherwise. */
    async putArtifact(codeHash: string, manifest: Record<string, unknown>, componentBase64: string): Promise<boolean> {
      const stored = await head(codeHash)
      if (stored) return sameOrConflict(stored, codeHash, manifest)
      const nonce = randomUUID().replaceAll('-', '')
      const chunks = Math.max(1, Math.ceil(componentBase64.length / CHUNK_CHARS))
      await Promise.all(
        Array.from({ length: chunks }, (_, k) =>
          retrying(() => js.publish(subjects.artifactChunk(codeHash, nonce, k), componentBase64.slice(k * CHUNK_CHARS, (k + 1) * CHUNK_CHARS))),
        ),
      )
      const record: ArtifactHead = { manifest, nonce, chunks, createdAt: new Date().toISOString() }
      const written = await retrying(async () => {
        try {
          await js.publish(subjects.artifactHead(codeHash), encode(record), { expect: { lastSubjectSequence: 0 } })
          return true
        } catch (err) {
          if (isWrongLastSequence(err)) return false
          throw err
        }
      })
      // Another head was first (or ours, stored before a lost answer: then it is the same manifest).
      return written || sameOrConflict((await head(codeHash))!, codeHash, manifest)
    },

    async getArtifact(codeHash: string): Promise<ArtifactRecord | undefined> {
      const stored = await head(codeHash)
      if (!stored) return undefined
      const parts = await Promise.all(
        Array.from({ length: stored.chunks }, async (_, k) => {
          const m = await jsm.streams.getMessage(stream, { last_by_subj: subjects.artifactChunk(codeHash, stored.nonce, k) })
          if (!m) throw new Error(`JetStream log: chunk ${k} of artifact ${codeHash} is missing`)
          return m.string()
        }),
      )
      return { codeHash, manifest: stored.manifest, component: parts.join(''), createdAt: new Date(stored.createdAt) }
    },

    async getManifest(codeHash: string): Promise<Record<string, unknown> | undefined> {
      return (await head(codeHash))?.manifest
    },
  }
}
