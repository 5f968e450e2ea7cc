// The body of POST /v1/execute-batch, built from each request's JSON made once. In a backfill every
// replica loop sends the same invocations (each in its own batches), so serialising a request per
// replica did the same JSON.stringify and UTF-8 encoding n times over: each request's bytes are
// kept with it here, weakly, for as long as the lane keeps the request. The bytes are exactly what
// JSON.stringify(executeBatchRequestJson(requests)) gives.
import { executeRequestJson, type LoggedExecuteRequest } from '@nexus/protocol'

const encoded = new WeakMap<LoggedExecuteRequest, Buffer>()
const OPEN = Buffer.from('{"requests":[')
const COMMA = Buffer.from(',')
const CLOSE = Buffer.from(']}')

function requestBytes(request: LoggedExecuteRequest): Buffer {
  let bytes = encoded.get(request)
  if (!bytes) {
    bytes = Buffer.from(JSON.stringify(executeRequestJson(request)))
    encoded.set(request, bytes)
  }
  return bytes
}

/** `{"requests":[…]}` as bytes; a request object must not change once sent (the lane replaces an invocation, never edits it). */
export function executeBatchBody(requests: LoggedExecuteRequest[]): Buffer {
  const parts: Buffer[] = [OPEN]
  requests.forEach((r, i) => {
    if (i > 0) parts.push(COMMA)
    parts.push(requestBytes(r))
  })
  parts.push(CLOSE)
  return Buffer.concat(parts)
}
