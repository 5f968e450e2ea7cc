// Both ends of the replica hop encode with the same functions: a request the gateway writes from its
// log (hex input) and one the replica holds (bytes) are the same JSON, and each side parses the other's.
import { describe, expect, test } from 'vitest'
import { toHex, zeroAddress, type Hex } from 'viem'
import {
  executeRequestJson,
  executedBatchJson,
  executedResultJson,
  parseExecuteBatchRequest,
  parseExecuteRequest,
  parseExecutedBatch,
  parseExecutedResult,
  parseVersions,
  versionsJson,
  type ExecuteRequest,
  type ExecutedResult,
} from './replica-wire.ts'

const codeHash: Hex = `0x${'ab'.repeat(32)}`
const input = new TextEncoder().encode('{"op":"incr"}')
const request: ExecuteRequest = {
  functionId: 'counter',
  codeHash,
  seq: 7n,
  input,
  trigger: 'http',
  timestampMs: 1_700_000_000_000n,
  chainId: 31337n,
  blockNumber: 12n,
}
const result: ExecutedResult = {
  fields: {
    chainId: 31337n,
    verifier: zeroAddress,
    functionId: 'counter',
    codeHash,
    seq: 7n,
    inputHash: `0x${'11'.repeat(32)}`,
    status: 0,
    outputHash: `0x${'22'.repeat(32)}`,
    stateRootBefore: `0x${'33'.repeat(32)}`,
    stateRootAfter: `0x${'44'.repeat(32)}`,
    fuelUsed: 1234n,
  },
  digest: `0x${'CD'.repeat(32)}`,
  output: new Uint8Array([1, 2, 3]),
  share: { index: 2, signature: '0x01' },
  logs: [{ level: 'info', message: 'hi' }],
}

describe('replica wire', () => {
  test("a request encodes the same from bytes and from the log's hex, and parses back", () => {
    const json = executeRequestJson(request)
    expect(json).toEqual({
      functionId: 'counter',
      codeHash,
      seq: '7',
      input: toHex(input),
      trigger: 'http',
      timestampMs: '1700000000000',
      chainId: '31337',
      blockNumber: '12',
    })
    expect(executeRequestJson({ ...request, input: toHex(input) })).toEqual(json)
    expect(parseExecuteRequest(JSON.parse(JSON.stringify(json)))).toEqual(request)
    expect(parseExecuteBatchRequest({ requests: [json, { ...json, abort: 'watchdog' }] })[1]).toEqual({ ...request, abort: 'watchdog' })
    expect(() => parseExecuteRequest({ ...json, seq: '0' })).toThrow('invalid field seq')
    expect(() => parseExecuteRequest({ ...json, input: '0x1' })).toThrow('invalid field input')
  })

  test('a result and a batch the replica writes are what the gateway reads', () => {
    const wire = JSON.parse(JSON.stringify(executedResultJson(result)))
    expect(wire.fields).toMatchObject({ chainId: '31337', seq: '7', fuelUsed: '1234', status: 0 })
    expect(parseExecutedResult(wire)).toEqual({
      fields: result.fields,
      digest: result.digest.toLowerCase(),
      output: '0x010203',
      share: result.share,
      logs: result.logs,
    })
    // Log lines are not signed: a malformed list is dropped, the answer still counts (issue 17).
    expect(parseExecutedResult({ ...wire, logs: [{ level: 'info' }] }).logs).toEqual([])
    expect(parseExecutedResult({ ...wire, logs: undefined }).logs).toEqual([])
    const { share: _, ...unsigned } = result
    const batch = JSON.parse(JSON.stringify(executedBatchJson({ results: [unsigned, unsigned], root: `0x${'EE'.repeat(32)}`, share: result.share })))
    const parsed = parseExecutedBatch(batch, 2)
    expect(parsed.root).toBe(`0x${'ee'.repeat(32)}`)
    expect(parsed.share).toEqual(result.share)
    expect(parsed.results[1]).toEqual({ fields: result.fields, digest: result.digest.toLowerCase(), output: '0x010203', logs: result.logs })
    expect(() => parseExecutedBatch(batch, 3)).toThrow('expected 3 results')
  })

  test('versions round-trip; bad ones are refused by field', () => {
    const versions = [
      { fromSeq: 1n, codeHash },
      { fromSeq: 9n, codeHash },
    ]
    expect(parseVersions({ versions: versionsJson(versions) })).toEqual(versions)
    expect(() => parseVersions({ versions: [] })).toThrow('invalid field versions')
    expect(() => parseVersions({ versions: [{ fromSeq: '0', codeHash }] })).toThrow('invalid field fromSeq')
  })
})
