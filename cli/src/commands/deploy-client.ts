// The gateway's deploy API as `nexus deploy` uses it: `POST /v1/functions` with the deployer key as
// `Authorization: Bearer`, then the function's versions. Every failure is a typed error that says
// what to do: the gateway cannot be reached, the key is refused (401) or does not own the id (403),
// or the artifact is refused (400 INVALID_ARTIFACT naming the field, 409 ARTIFACT_CONFLICT).
import { NexusError } from '@nexus/protocol'

export class GatewayUnreachableError extends NexusError {
  override name = 'GatewayUnreachableError'
  override code = 'NEXUS_GATEWAY_UNREACHABLE'
}

export class DeployUnauthorizedError extends NexusError {
  override name = 'DeployUnauthorizedError'
  override code = 'NEXUS_DEPLOY_UNAUTHORIZED'
}

export class DeployRejectedError extends NexusError {
  override name = 'DeployRejectedError'
  override code = 'NEXUS_DEPLOY_REJECTED'
  /** The gateway's error code (INVALID_ARTIFACT, ARTIFACT_CONFLICT, …) and the field it names, if any. */
  constructor(
    message: string,
    readonly gatewayCode: string,
    readonly field?: string,
  ) {
    super(message)
  }
}

export type DeployAnswer = {
  id: string
  codeHash: string
  /** True when this deploy stored a new function or a new version; false: the gateway already ran this code. */
  created: boolean
  /** 1-based number of the version the function now runs. */
  version: number
  /** The first seq the version runs (decimal; earlier seqs keep the version they ran with). */
  fromSeq: string
}

type ErrorBody = { error?: { code?: string; message?: string; field?: string } }

/** Deploy timeout: the gateway compiles the component the way replicas do before it answers. */
const DEPLOY_TIMEOUT_MS = 180_000

export class DeployClient {
  readonly gateway: string
  constructor(
    gateway: string,
    private readonly apiKey: string,
  ) {
    this.gateway = gateway.replace(/\/+$/, '')
  }

  private async request(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
    let res: Response
    try {
      res = await fetch(`${this.gateway}${path}`, { ...init, signal: AbortSignal.timeout(DEPLOY_TIMEOUT_MS) })
    } catch (cause) {
      throw new GatewayUnreachableError(`Cannot reach the gateway at ${this.gateway}.`, {
        cause: (cause as { cause?: unknown }).cause ?? cause,
        metaMessages: ['Is it running? `npx nexus dev` serves one at http://127.0.0.1:8787; pass another with --gateway <url>.'],
      })
    }
    const text = await res.text()
    let body: unknown
    try {
      body = text ? JSON.parse(text) : undefined
    } catch {
      body = undefined
    }
    if (res.ok && body === undefined)
      throw new GatewayUnreachableError(`${this.gateway}${path} answered ${res.status} without JSON: is this a Nexus gateway?`, { details: text.slice(0, 200) })
    return { status: res.status, body }
  }

  /** `GET /health`: fails fast (before a build) when nothing, or no gateway, answers at the URL. */
  async ping(): Promise<void> {
    const { status } = await this.request('/health')
    if (status !== 200) throw new GatewayUnreachableError(`${this.gateway}/health answered ${status}: is this a Nexus gateway?`)
  }

  /** `POST /v1/functions`: the version the function now runs and the seq it runs from. */
  async deploy(manifest: unknown, component: Uint8Array): Promise<DeployAnswer> {
    const name = (manifest as { name?: string }).name ?? '(unnamed)'
    const { status, body } = await this.request('/v1/functions', {
      method: 'POST',
      headers: { authorization: `Bearer ${this.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ manifest, component: Buffer.from(component).toString('base64') }),
    })
    if (status !== 200 && status !== 201) throw deployError(name, status, body as ErrorBody | undefined)
    const answer = body as { id: string; codeHash: string; created: boolean; version?: number; fromSeq?: string }
    if (answer.version !== undefined && answer.fromSeq !== undefined)
      return { id: answer.id, codeHash: answer.codeHash, created: answer.created, version: answer.version, fromSeq: answer.fromSeq }
    // A gateway from before the answer said so: the function's versions, oldest first.
    const versions = await this.request(`/v1/functions/${encodeURIComponent(answer.id)}/versions`)
    const items = (versions.body as { items?: { codeHash: string; fromSeq: string }[] } | undefined)?.items ?? []
    // The last one with this code hash is what runs now.
    const index = items.map((v) => v.codeHash).lastIndexOf(answer.codeHash)
    return { id: answer.id, codeHash: answer.codeHash, created: answer.created, version: index + 1 || items.length, fromSeq: items[index]?.fromSeq ?? '1' }
  }
}

function deployError(name: string, status: number, body: ErrorBody | undefined): NexusError {
  const code = body?.error?.code ?? `HTTP_${status}`
  const message = body?.error?.message ?? `the gateway answered ${status}`
  if (status === 401)
    return new DeployUnauthorizedError(`Deploy of ${name} refused: ${message}`, {
      metaMessages: [
        'Check the key: --api-key-file <file> or NEXUS_API_KEY must hold one of the gateway’s deployer keys (nexus dev writes .nexus/deploy-api-key).',
      ],
    })
  if (status === 403)
    return new DeployUnauthorizedError(`Deploy of ${name} refused: ${message}`, {
      metaMessages: [
        'The function id belongs to the key that first deployed it: deploy with that key or an admin key, or rename the project (`name` in nexus.config.ts).',
      ],
    })
  const field = body?.error?.field
  const what = status === 400 ? 'invalid artifact' : status === 409 ? 'conflicting artifact' : `gateway answered ${status}`
  return new DeployRejectedError(`Deploy of ${name} failed (${what}, ${code}${field ? ` at ${field}` : ''}): ${message}`, code, field)
}
