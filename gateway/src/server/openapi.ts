// OpenAPI 3.1 description of the gateway API (served at /openapi.json): every route the app
// serves, the @onHttp function routes and the /v1/zk routes included (gateway/test/openapi.test.ts
// walks the app's route table against it). Response shapes are in openapi-schemas.ts.
import { MAX_TIMEOUT_MS } from './answer.ts'
import { ref, schemas } from './openapi-schemas.ts'

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } })
const json = (description: string, schema: unknown = { type: 'object' }) => ({ description, content: { 'application/json': { schema } } })
const location = { Location: { description: 'The result URL, /v1/results/{id}', schema: { type: 'string' } } }
const fn = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Function id' }
const timeoutMs = (where: string) => ({
  name: 'timeoutMs',
  in: 'query',
  description: `How long to wait for the attested result before answering 202, ms (default 10000, the gateway's syncTimeoutMs).${where}`,
  schema: { type: 'integer', minimum: 0, maximum: MAX_TIMEOUT_MS },
})
const idempotencyKey = { name: 'Idempotency-Key', in: 'header', schema: { type: 'string', minLength: 1, maxLength: 200 } }
const prefer = { name: 'Prefer', in: 'header', description: '`respond-async`: answer 202 at once', schema: { type: 'string' } }

/** How an invocation is answered (answer.ts), for /invoke and the @onHttp routes alike. */
const invocationResponses = {
  200: { ...json('Attested: the result, and `output` decoded when it is JSON', ref('Invocation')), headers: location },
  202: { ...json('Pending (async, the wait ran out, or below quorum): poll resultUrl', ref('PendingInvocation')), headers: location },
  400: errorResponse('MALFORMED_JSON | INVALID_REQUEST (timeoutMs, mode, Idempotency-Key)'),
  404: errorResponse('UNKNOWN_FUNCTION'),
  409: errorResponse('IDEMPOTENCY_CONFLICT (same key, another request)'),
  413: errorResponse('PAYLOAD_TOO_LARGE'),
  502: { ...json('NO_QUORUM: no t replicas agree on the result; the invocation is disputed', ref('DisputedInvocation')), headers: location },
}

/** An @onHttp route (gateway/src/routes): any method the function's manifest declares. */
const functionRoute = (pathParameter: boolean) => {
  const operation = (method: string) => ({
    summary: `@onHttp route, ${method}: the request becomes a 'route' invocation; answered like /invoke`,
    description:
      'The handler receives { method, path (below /http), query, body } and nothing else. The query parameter `timeoutMs` belongs to the gateway: it sets the wait and is removed before the request is logged, so the handler never sees it. HEAD is refused (405) because answering it would run the handler.',
    parameters: [
      fn,
      ...(pathParameter
        ? [
            {
              name: 'path',
              in: 'path',
              required: true,
              description: 'The rest of the path, slashes included, matched against the routes',
              schema: { type: 'string' },
            },
          ]
        : []),
      timeoutMs(' Reserved on function routes: never passed to the handler.'),
      prefer,
      idempotencyKey,
    ],
    ...(method === 'GET' || method === 'DELETE' ? {} : { requestBody: { content: { '*/*': { schema: { type: 'string', format: 'binary' } } } } }),
    responses: {
      ...invocationResponses,
      404: errorResponse('UNKNOWN_FUNCTION | NOT_FOUND (no route of the function matches the path)'),
      405: errorResponse('METHOD_NOT_ALLOWED (the Allow header lists the route’s methods)'),
    },
  })
  return { get: operation('GET'), post: operation('POST'), put: operation('PUT'), patch: operation('PATCH'), delete: operation('DELETE') }
}

export const openapi = {
  openapi: '3.1.0',
  info: { title: 'Nexus gateway', version: '1.0.0', description: 'Ordered, threshold-attested invocations of Nexus functions.' },
  components: { securitySchemes: { deployKey: { type: 'http', scheme: 'bearer' } }, schemas },
  paths: {
    '/health': { get: { summary: 'Liveness', responses: { 200: json('alive', { type: 'object', properties: { ok: { const: true } }, required: ['ok'] }) } } },
    '/ready': {
      get: {
        summary: 'Readiness: database reachable and at least t replicas healthy',
        responses: { 200: json('ready', ref('Ready')), 503: errorResponse('NOT_READY') },
      },
    },
    '/metrics': {
      get: { summary: 'Prometheus metrics', responses: { 200: { description: 'Prometheus text', content: { 'text/plain': { schema: { type: 'string' } } } } } },
    },
    '/openapi.json': { get: { summary: 'This document', responses: { 200: json('OpenAPI 3.1') } } },
    '/v1/functions': {
      get: {
        summary: 'List functions',
        responses: { 200: json('functions', { type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('Function') } } }) },
      },
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
          200: json('already deployed with this code hash', ref('Deployed')),
          201: json('deployed (a new function or version)', ref('Deployed')),
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
        responses: {
          200: json('function', ref('FunctionWithVersions')),
          404: errorResponse('UNKNOWN_FUNCTION'),
        },
      },
    },
    '/v1/functions/{id}/versions': {
      get: {
        summary: 'Versions of a function',
        parameters: [fn],
        responses: {
          200: json('versions', { type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('Version') } } }),
          404: errorResponse('UNKNOWN_FUNCTION'),
        },
      },
    },
    '/v1/functions/{id}/invoke': {
      post: {
        summary: 'Invoke (the request body is the input bytes). Sync by default; `?mode=async` or `Prefer: respond-async` returns 202 at once.',
        parameters: [fn, { name: 'mode', in: 'query', schema: { enum: ['sync', 'async'] } }, timeoutMs(''), prefer, idempotencyKey],
        requestBody: { content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
        responses: invocationResponses,
      },
    },
    '/v1/functions/{id}/http': functionRoute(false),
    '/v1/functions/{id}/http/{path}': functionRoute(true),
    '/v1/functions/{id}/results': {
      get: {
        summary: 'Results of a function in seq order, cursor-paginated',
        parameters: [
          fn,
          { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page (a seq)' },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
        ],
        responses: { 200: json('a page of invocations', ref('InvocationPage')), 400: errorResponse('INVALID_REQUEST'), 404: errorResponse('UNKNOWN_FUNCTION') },
      },
    },
    '/v1/results/{id}': {
      get: {
        summary: 'One invocation and its attested result',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: json('invocation', ref('Invocation')), 404: errorResponse('UNKNOWN_RESULT') },
      },
    },
    '/v1/artifacts/{codeHash}': {
      get: {
        summary: 'Artifact by code hash (replicas fetch and check it)',
        parameters: [{ name: 'codeHash', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: json('the artifact', {
            type: 'object',
            required: ['manifest', 'component'],
            properties: { manifest: { type: 'object' }, component: { type: 'string', contentEncoding: 'base64' } },
          }),
          404: errorResponse('NOT_FOUND'),
        },
      },
    },
    '/v1/zk': {
      get: { summary: 'Nexus Zero functions (served when the gateway was created with zk; docs/zk.md)', responses: { 200: json('{ items }') } },
    },
    '/v1/zk/{name}': {
      get: {
        summary: 'A Nexus Zero function and its Groth16 verification key',
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: json('the function'), 404: errorResponse('UNKNOWN_FUNCTION') },
      },
      post: {
        summary: 'Prove: the JSON request is mapped to circuit inputs, proved and verified; a nexus.zk.v1 result',
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: { required: true, content: { 'application/json': { schema: {} } } },
        responses: {
          200: json('nexus.zk.v1 result'),
          400: json('NEXUS_ZK_INVALID_INPUT error result, or MALFORMED_JSON'),
          404: errorResponse('UNKNOWN_FUNCTION'),
          413: errorResponse('PAYLOAD_TOO_LARGE'),
          500: json('NEXUS_ZK_OUTPUT_FAILED error result'),
          502: json('NEXUS_ZK_PROVER_FAILED error result'),
        },
      },
    },
  },
} as const
