import { expect, test } from 'vitest'
import { executeBatchRequestJson, type LoggedExecuteRequest } from '@nexus/protocol'
import { executeBatchBody } from './batch-body.ts'

const request = (seq: bigint, extra: Partial<LoggedExecuteRequest> = {}): LoggedExecuteRequest => ({
  functionId: 'token-balances',
  codeHash: `0x${'ab'.repeat(32)}`,
  seq,
  input: `0x${'7b7d'.repeat(seq === 2n ? 0 : 40)}`,
  trigger: seq === 3n ? 'http' : 'event',
  timestampMs: 1_700_000_000_000n + seq,
  ...(seq === 3n ? {} : { chainId: 31337n, blockNumber: 100n + seq }),
  ...extra,
})

test('a batch body is byte for byte the JSON of executeBatchRequestJson, also when its requests were sent before in other batches', () => {
  const [a, b, c] = [request(1n), request(2n), request(3n)]
  const aborted = request(4n, { abort: 'watchdog' })
  for (const batch of [[a], [a, b, c], [b, c, aborted], [c, a], []]) {
    expect(executeBatchBody(batch).toString('utf8')).toBe(JSON.stringify(executeBatchRequestJson(batch)))
  }
  // An invocation the lane changed is a new request object, so it is serialised anew.
  const resent = { ...a, abort: 'watchdog' as const }
  expect(JSON.parse(executeBatchBody([resent, b]).toString('utf8')).requests[0].abort).toBe('watchdog')
  expect(JSON.parse(executeBatchBody([a]).toString('utf8')).requests[0].abort).toBeUndefined()
})
