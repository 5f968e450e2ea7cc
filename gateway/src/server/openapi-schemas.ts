// The JSON shapes the gateway answers with, as OpenAPI 3.1 (JSON Schema 2020-12) components for
// /openapi.json. The served shapes come from serialize.ts, answer.ts, deploy.ts, app.ts and
// @nexus/protocol's AttestedResult; objects a client parses are closed (`additionalProperties:
// false`) so that gateway/test checks a real answer against them and a field added to an answer
// without being described here fails that test.
import { STATUS_NAMES } from '@nexus/protocol'
import { RESULT_PROTOCOL, RESULT_PROTOCOL_V2 } from '@nexus/protocol/attest'

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const hex = (description: string) => ({ type: 'string', pattern: '^0x([0-9a-fA-F]{2})*$', description })
const bytes32 = (description: string) => ({ type: 'string', pattern: '^0x[0-9a-fA-F]{64}$', description })
const decimal = (description: string) => ({ type: 'string', pattern: '^(0|[1-9][0-9]*)$', description })
const dateTime = { type: 'string', format: 'date-time' }
const closed = (properties: Record<string, unknown>, required: string[], description?: string) => ({
  type: 'object',
  ...(description ? { description } : {}),
  required,
  properties,
  additionalProperties: false,
})

const errorBody = {
  code: { type: 'string', description: 'Stable code (docs/gateway.md), e.g. UNKNOWN_FUNCTION' },
  message: { type: 'string' },
  field: { type: 'string', description: 'Deploys: the manifest field that failed validation' },
}

/** What every invocation answer (invoke, @onHttp route, results) has: serialize.ts invocationJson. */
const invocationProperties = {
  id: { type: 'string', description: 'Result id (UUID); GET /v1/results/{id}' },
  functionId: { type: 'string' },
  seq: decimal('Position in the function’s log'),
  codeHash: { type: 'string', description: 'Code the invocation runs (the version current at its seq)' },
  trigger: { type: 'string', description: 'What caused it: http (invoke), route (@onHttp), event, block, cron, inbox' },
  timestampMs: decimal('The handler’s clock (env.now()): append time, tick time or block time'),
  state: { enum: ['pending', 'attested', 'disputed'] },
  status: { enum: [...STATUS_NAMES, null], description: 'fields.status by name; null while pending or disputed' },
  output: {
    description:
      'What the handler returned, decoded from result.output when those bytes are UTF-8 JSON (absent otherwise). A convenience derived from the signed bytes: verify `result`.',
  },
  outputText: {
    type: 'string',
    description: 'result.output as text when it is UTF-8 but not JSON (e.g. an error result’s message); absent otherwise. Derived, not signed on its own.',
  },
  result: { anyOf: [ref('AttestedResult'), { type: 'null' }], description: 'The attested result (docs/protocol.md §5); null until attested' },
  disagreements: { type: 'array', items: ref('Disagreement'), description: 'Replicas whose answer did not agree with the attested one' },
  logs: {
    type: 'array',
    items: ref('LogLine'),
    description: 'What the handler logged (ctx.log), at most 100 lines and 16 KiB plus a final truncation line; not covered by the signature',
  },
  resultUrl: { type: 'string', description: '/v1/results/{id}' },
}
const invocationRequired = ['id', 'functionId', 'seq', 'codeHash', 'trigger', 'timestampMs', 'state', 'status', 'result', 'disagreements', 'logs', 'resultUrl']

/** serialize.ts functionJson. */
const functionProperties = {
  id: { type: 'string' },
  codeHash: { type: 'string' },
  lastSeq: decimal('Last seq appended'),
  triggers: { type: 'array', items: ref('Trigger') },
  createdAt: dateTime,
  updatedAt: dateTime,
}
const functionRequired = ['id', 'codeHash', 'lastSeq', 'triggers', 'createdAt', 'updatedAt']

export const schemas = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: { error: { type: 'object', required: ['code', 'message'], properties: errorBody } },
  },
  ResultFields: closed(
    {
      chainId: decimal('Chain id the result is bound to'),
      verifier: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$', description: 'NexusVerifier address the result is bound to' },
      codeHash: bytes32('sha256 of the component'),
      seq: decimal('Position in the function’s log'),
      inputHash: bytes32('keccak256 of the input bytes'),
      status: { type: 'integer', minimum: 0, maximum: STATUS_NAMES.length - 1, description: STATUS_NAMES.map((n, i) => `${i} ${n}`).join(', ') },
      outputHash: bytes32('keccak256 of output'),
      stateRootBefore: bytes32('State root before the invocation'),
      stateRootAfter: bytes32('State root after the invocation'),
      fuelUsed: decimal('Fuel the invocation used'),
      protocol: { const: RESULT_PROTOCOL_V2, description: 'v2 results only' },
      functionId: { type: 'string', description: 'v2 results only' },
      functionIdHash: bytes32('v2 results only: keccak256(utf8(functionId))'),
    },
    ['chainId', 'verifier', 'codeHash', 'seq', 'inputHash', 'status', 'outputHash', 'stateRootBefore', 'stateRootAfter', 'fuelUsed'],
    'The signed digest’s fields (bigints as decimal strings)',
  ),
  BatchInclusion: closed(
    {
      root: bytes32('Merkle root the signature covers'),
      index: { type: 'integer', minimum: 0 },
      size: { type: 'integer', minimum: 1 },
      proof: { type: 'array', items: bytes32('sibling') },
    },
    ['root', 'index', 'size', 'proof'],
    'Present when the result was attested as part of a batch',
  ),
  AttestedResult: closed(
    {
      protocol: { enum: [RESULT_PROTOCOL_V2, RESULT_PROTOCOL] },
      kind: { const: 'bls' },
      fields: ref('ResultFields'),
      digest: bytes32('resultDigest(fields)'),
      output: hex('The handler’s output bytes'),
      signature: hex('Compressed G1 group signature over digest (or batch.root)'),
      signers: { type: 'array', items: { type: 'integer', minimum: 1 } },
      groupPublicKey: hex('The network’s group public key'),
      batch: ref('BatchInclusion'),
    },
    ['protocol', 'kind', 'fields', 'digest', 'output', 'signature', 'signers', 'groupPublicKey'],
    'nexus.result.v2 (v1 for results attested before v2): what `nexus verify` checks',
  ),
  Disagreement: closed({ replica: { type: 'integer' }, digest: { type: 'string' }, reason: { type: 'string' } }, ['replica', 'reason']),
  LogLine: closed({ level: { type: 'string' }, message: { type: 'string' } }, ['level', 'message']),
  Invocation: closed(invocationProperties, invocationRequired, 'One invocation and, once attested, its result'),
  PendingInvocation: closed(
    {
      ...invocationProperties,
      pending: closed(
        {
          reason: { enum: ['async', 'timeout', 'below_quorum'] },
          message: { type: 'string' },
          replicasUp: { type: 'integer', description: 'below_quorum only' },
          threshold: { type: 'integer', description: 'below_quorum only' },
        },
        ['reason', 'message'],
      ),
    },
    [...invocationRequired, 'pending'],
    'A 202: the invocation is in the log; poll resultUrl (also in Location)',
  ),
  DisputedInvocation: closed(
    {
      ...invocationProperties,
      error: closed({ code: { const: 'NO_QUORUM' }, message: { type: 'string' }, disagreements: { type: 'array', items: ref('Disagreement') } }, [
        'code',
        'message',
        'disagreements',
      ]),
    },
    [...invocationRequired, 'error'],
    'A 502: fewer than t replicas agree on any result',
  ),
  InvocationPage: closed(
    {
      items: { type: 'array', items: ref('Invocation') },
      nextCursor: { type: ['string', 'null'], description: 'Pass back as ?cursor=; null on the last page' },
    },
    ['items', 'nextCursor'],
  ),
  Trigger: {
    type: 'object',
    required: ['kind'],
    properties: { kind: { enum: ['http', 'route', 'event', 'block', 'cron'] }, path: { type: 'string' }, method: { type: 'string' } },
    description: 'The invoke URL ({ kind: http, path }) or a manifest trigger (route, event, block, cron; docs/triggers.md)',
  },
  Function: closed(functionProperties, functionRequired),
  FunctionWithVersions: closed({ ...functionProperties, versions: { type: 'array', items: ref('Version') } }, [...functionRequired, 'versions']),
  Version: closed({ codeHash: { type: 'string' }, fromSeq: decimal('First seq this code runs'), createdAt: dateTime }, ['codeHash', 'fromSeq', 'createdAt']),
  Deployed: closed(
    {
      id: { type: 'string' },
      codeHash: { type: 'string' },
      created: { type: 'boolean' },
      version: { type: 'integer', minimum: 1, description: 'The version the function now runs, 1-based' },
      fromSeq: decimal('First seq the current version runs (earlier seqs keep their version)'),
    },
    ['id', 'codeHash', 'created', 'version'],
  ),
  Ready: closed(
    {
      ok: { const: true },
      replicas: {
        type: 'array',
        items: closed({ index: { type: 'integer' }, url: { type: 'string' }, healthy: { type: 'boolean' } }, ['index', 'url', 'healthy']),
      },
      diverged: {
        type: 'array',
        description: 'Replicas that applied a seq differently from the log, per function',
        items: closed({ functionId: { type: 'string' }, replica: { type: 'integer' }, seq: decimal('seq'), reason: { type: 'string' }, since: dateTime }, [
          'functionId',
          'replica',
          'seq',
          'reason',
          'since',
        ]),
      },
    },
    ['ok', 'replicas', 'diverged'],
  ),
}

export { ref }
