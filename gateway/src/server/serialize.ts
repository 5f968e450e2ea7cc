// JSON shapes served by the API (bigints as decimal strings).
import { manifestTriggers, statusName } from '@nexus/protocol'
import type { FunctionRecord, Invocation } from '../log/index.ts'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The handler's output (`result.output`, hex) for a reader who wants what the handler returned
 * without decoding hex: `output` when the bytes are UTF-8 JSON, else `outputText` when they are
 * UTF-8 (an error result's message, a text answer), else neither. Derived from the signed bytes,
 * not signed on its own: verify `result`.
 */
export function decodedOutput(hex: string | undefined): { output?: unknown; outputText?: string } {
  if (hex === undefined || hex.length <= 2) return {}
  let text: string
  try {
    text = utf8.decode(Buffer.from(hex.slice(2), 'hex'))
  } catch {
    return {}
  }
  try {
    return { output: JSON.parse(text) }
  } catch {
    return { outputText: text }
  }
}

export function invocationJson(inv: Invocation) {
  const status = inv.result?.fields.status
  return {
    id: inv.id,
    functionId: inv.functionId,
    seq: inv.seq.toString(),
    codeHash: inv.codeHash,
    trigger: inv.trigger,
    timestampMs: inv.timestampMs.toString(),
    state: inv.state,
    status: status === undefined ? null : (statusName(status) ?? null),
    ...decodedOutput(inv.result?.output),
    result: inv.result ?? null,
    disagreements: inv.disagreements,
    // Not signed (docs/protocol.md): a handler that needs them attested returns them in its output.
    logs: inv.logs,
    resultUrl: `/v1/results/${inv.id}`,
  }
}

/** A function with its triggers: always the invoke URL, plus what its current manifest declares. */
export function functionJson(fn: FunctionRecord, manifest: Record<string, unknown> = {}) {
  return {
    id: fn.id,
    codeHash: fn.codeHash,
    lastSeq: fn.lastSeq.toString(),
    triggers: [{ kind: 'http', path: `/v1/functions/${fn.id}/invoke` }, ...manifestTriggers(manifest)],
    createdAt: fn.createdAt.toISOString(),
    updatedAt: fn.updatedAt.toISOString(),
  }
}
