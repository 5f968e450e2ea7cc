// OpenAPI 3.1 description of the gateway API (served at /openapi.json).
import { STATUS_NAMES } from '@nexus/protocol'

const error = { $ref: '#/components/schemas/Error' }
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: error } } })
const json = (description: string, schema: unknown = { type: 'object' }) => ({ description, content: { 'application/json': { schema } } })
const fn = { name: 'id', in: 'path', required: true, schema: { type: 'string' } }

export const openapi = {
  openapi: '3.1.0',
  info: { title: 'Nexus gateway', version: '1.0.0', description: 'Ordered, threshold-attested invocations of Nexus functions.' },
  components: {
    securitySchemes: { deployKey: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
      },
      Invocation: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          functionId: { type: 'string' },
          seq: { type: 'string' },
          state: { enum: ['pending', 'attested', 'disputed'] },
          status: { enum: [...STATUS_NAMES, null] },
          result: { description: 'nexus.result.v2 attested result (v1 for results attested before v2; docs/protocol.md §5), null while pending' },
          disagreements: { type: 'array', items: { type: 'object' } },
          logs: {
            type: 'array',
            description: 'What the handler logged (ctx.log), at most 100 lines and 16 KiB plus a final truncation line; not covered by the signature',
            items: { type: 'object', properties: { level: { type: 'string' }, message: { type: 'string' } } },
          },
          resultUrl: { type: 'string' },
        },
      },
    },
  },
  paths: {
    '/health': { get: { summary: 'Liveness', responses: { 200: json('alive') } } },
    '/ready': {
      get: { summary: 'Readiness: database reachable and at least t replicas healthy', responses: { 200: json('ready'), 503: errorResponse('not ready') } },
    },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text/plain; version=0.0.4' } } } },
    '/v1/functions': {
      get: { summary: 'List functions', responses: { 200: json('functions') } },
      post: {
        summary: 'Deploy a function (content-addressed, idempotent by code hash)',
        security: [{ deployKey: [] }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['manifest', 'component'],
                properties: { manifest: { type: 'object' }, component: { type: 'string', contentEncoding: 'base64' } },
              },
            },
          },
        },
        responses: {
          200: json('already deployed with this code hash'),
          201: json('deployed'),
          400: errorResponse('MALFORMED_JSON | INVALID_REQUEST | INVALID_ARTIFACT (error.field names the field)'),
          401: errorResponse('UNAUTHORIZED'),
          403: errorResponse('FORBIDDEN (the function belongs to another deploy key)'),
          409: errorResponse('ARTIFACT_CONFLICT (this code hash is stored with another manifest)'),
          413: errorResponse('PAYLOAD_TOO_LARGE'),
        },
      },
    },
    '/v1/functions/{id}': {
      get: {
        summary: 'Get a function, its versions and triggers',
        parameters: [fn],
        responses: { 200: json('function'), 404: errorResponse('UNKNOWN_FUNCTION') },
      },
    },
    '/v1/functions/{id}/versions': {
      get: { summary: 'Versions of a function', parameters: [fn], responses: { 200: json('versions'), 404: errorResponse('UNKNOWN_FUNCTION') } },
    },
    '/v1/functions/{id}/invoke': {
      post: {
        summary: 'Invoke (the request body is the input bytes). Sync by default; `?mode=async` or `Prefer: respond-async` returns 202 at once.',
        parameters: [
          fn,
          { name: 'mode', in: 'query', schema: { enum: ['sync', 'async'] } },
          { name: 'timeoutMs', in: 'query', schema: { type: 'integer', maximum: 60000 } },
          { name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 200 } },
        ],
        requestBody: { content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
        responses: {
          200: json('attested result', { $ref: '#/components/schemas/Invocation' }),
          202: json('accepted (async, or sync timeout): poll resultUrl', { $ref: '#/components/schemas/Invocation' }),
          400: errorResponse('MALFORMED_JSON'),
          404: errorResponse('UNKNOWN_FUNCTION'),
          409: errorResponse('IDEMPOTENCY_CONFLICT'),
          502: errorResponse('NO_QUORUM: no t replicas agree on the result (the invocation is disputed; error.disagreements lists every replica)'),
          413: errorResponse('PAYLOAD_TOO_LARGE'),
        },
      },
    },
    '/v1/functions/{id}/results': {
      get: {
        summary: 'Results of a function in seq order, cursor-paginated',
        parameters: [
          fn,
          { name: 'cursor', in: 'query', schema: { type: 'string' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', maximum: 500 } },
        ],
        responses: { 200: json('{ items, nextCursor }'), 404: errorResponse('UNKNOWN_FUNCTION') },
      },
    },
    '/v1/results/{id}': {
      get: {
        summary: 'One invocation and its attested result',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: json('invocation', { $ref: '#/components/schemas/Invocation' }), 404: errorResponse('UNKNOWN_RESULT') },
      },
    },
    '/v1/artifacts/{codeHash}': {
      get: {
        summary: 'Artifact by code hash (replicas fetch and check it)',
        parameters: [{ name: 'codeHash', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: json('{ manifest, component }'), 404: errorResponse('NOT_FOUND') },
      },
    },
  },
} as const
