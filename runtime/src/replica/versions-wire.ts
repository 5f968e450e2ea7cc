// JSON of a function's versions on the replica API: `{ versions: [{ fromSeq: "1", codeHash }] }`.
import type { FunctionVersion } from '../store/function-versions.ts'
import { BadRequestError } from './errors.ts'

const MAX_VERSIONS = 10_000

/** `{ versions: [{ fromSeq, codeHash }] }` → versions; BadRequestError (400) on anything else. */
export function parseVersions(body: unknown): FunctionVersion[] {
  const versions = (body as { versions?: unknown } | null)?.versions
  if (!Array.isArray(versions) || versions.length === 0 || versions.length > MAX_VERSIONS) throw new BadRequestError('invalid field versions')
  return versions.map((v: { fromSeq?: unknown; codeHash?: unknown } | null) => {
    if (typeof v?.fromSeq !== 'string' || !/^\d{1,20}$/.test(v.fromSeq) || v.fromSeq === '0') throw new BadRequestError('invalid field fromSeq')
    if (typeof v.codeHash !== 'string' || !/^0x[0-9a-f]{64}$/.test(v.codeHash)) throw new BadRequestError('invalid field codeHash')
    return { fromSeq: BigInt(v.fromSeq), codeHash: v.codeHash }
  })
}

export function versionsJson(versions: FunctionVersion[]) {
  return versions.map((v) => ({ fromSeq: v.fromSeq.toString(), codeHash: v.codeHash }))
}
