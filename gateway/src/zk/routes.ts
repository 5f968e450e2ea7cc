// HTTP routes of Nexus Zero, mounted by the gateway under /v1/zk with the API's conventions: JSON
// bodies with a size limit, errors as `{ error: { code, message } }` with stable codes, invocations
// unauthenticated (like /v1/functions/:id/invoke), a zk error result carrying `error` too.
//   GET  /v1/zk                  → { items: [{ name, circuitId, verificationKeyHash, publicSignals, ... }] }
//   GET  /v1/zk/:name            → that item plus the Groth16 verification key
//   POST /v1/zk/:name  (request) → 200 zk result | 400 NEXUS_ZK_INVALID_INPUT | 500 NEXUS_ZK_OUTPUT_FAILED | 502 NEXUS_ZK_PROVER_FAILED
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { ZkErrorResult, ZkResult } from '@nexus/protocol/zk'
import { errorBoundary } from '@nexus/protocol'
import { MalformedJsonError, NotFoundError, PayloadTooLargeError, UnknownFunctionError } from '../errors.ts'
import type { ZkServiceFunction } from './service.ts'

export type CreateZkRoutesParameters = {
  functions: ReadonlyMap<string, ZkServiceFunction>
  invoke(name: string, request: unknown): Promise<ZkResult | ZkErrorResult>
  invokeBytes: number
}

const describe = (f: ZkServiceFunction) => ({
  name: f.name,
  description: f.fn.description,
  circuitId: f.circuit.id,
  verificationKeyHash: f.circuit.verificationKeyHash,
  publicSignals: f.fn.publicSignals,
  nOutputs: f.circuit.nOutputs,
  constraints: f.circuit.constraints,
  mappingCodeHash: f.mappingCodeHash,
})

/** 400 for a request that cannot be proved, 500 for a broken `output`, 502 when no prover delivered. */
const statusOf = (code: string) => (code === 'NEXUS_ZK_INVALID_INPUT' ? 400 : code === 'NEXUS_ZK_OUTPUT_FAILED' ? 500 : 502)

export function createZkRoutes(p: CreateZkRoutesParameters): Hono {
  const app = new Hono()
  // The main app's boundary too, so the routes behave the same mounted or standalone.
  app.onError(errorBoundary())
  const find = (name: string) => {
    const f = p.functions.get(name)
    if (!f) throw new UnknownFunctionError(`Unknown zk function "${name}".`)
    return f
  }

  app.get('/', (c) => c.json({ items: [...p.functions.values()].map(describe) }))
  app.get('/:name', (c) => {
    const f = find(c.req.param('name'))
    return c.json({ ...describe(f), verificationKey: f.circuit.verificationKey })
  })
  app.post(
    '/:name',
    bodyLimit({
      maxSize: p.invokeBytes,
      onError: () => {
        throw new PayloadTooLargeError(`Request body exceeds ${p.invokeBytes} bytes.`)
      },
    }),
    async (c) => {
      const f = find(c.req.param('name'))
      let request: unknown
      try {
        request = JSON.parse(await c.req.text())
      } catch (err) {
        throw new MalformedJsonError('Request body is not valid JSON.', { cause: err })
      }
      const result = await p.invoke(f.name, request)
      if (!('status' in result) || result.status !== 'error') return c.json(result)
      return c.json(result, statusOf(result.error.code))
    },
  )
  app.notFound(() => {
    throw new NotFoundError('No such route.')
  })
  return app
}
