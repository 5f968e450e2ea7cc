// The wire format of an invocation's input for each trigger kind: the contract between the
// gateway (which writes it into the ordered log) and the guest entry the build generates (which
// decodes it into the handler's typed context). The input bytes are what `inputHash` commits to,
// so the encoding is canonical: UTF-8 JSON, keys in the order below, integers as decimal strings,
// byte strings as lowercase 0x-hex (an event's decoded `args` have their own canonical form,
// event-args.ts). docs/protocol.md and docs/triggers.md explain it.
//
// trigger string  input bytes
// 'http'          the raw request body of POST /v1/functions/:id/invoke (no envelope)
// 'inbox'         the raw input bytes of a NexusInbox request (no envelope; gateway/src/inbox)
// 'route'         RoutePayload (an @onHttp route served by the gateway)
// 'event'         EventPayload (a log that reached finality)
// 'block'         BlockPayload (a block that reached finality)
// 'cron'          CronPayload  (a schedule tick)
import type { Hex } from 'viem'
import type { EventArgsJson } from './event-args.ts'
import { routeRequestHeaders } from './route-headers.ts'

export type TriggerKind = 'http' | 'inbox' | 'route' | 'event' | 'block' | 'cron'

export type EventPayload = {
  kind: 'event'
  chainId: string
  blockNumber: string
  blockHash: Hex
  logIndex: number
  transactionHash: Hex
  transactionIndex: number
  address: Hex
  topics: Hex[]
  data: Hex
  /**
   * The log's arguments decoded with the trigger's ABI by the gateway, in canonical JSON form
   * (event-args.ts), so the guest does not run an ABI decoder. Absent in payloads written before
   * the gateway decoded, and when the log does not decode (then `decodeError` says why).
   */
  args?: EventArgsJson
  /** Why the log does not decode with the trigger's ABI; the invocation fails with it. */
  decodeError?: string
}

export type BlockPayload = {
  kind: 'block'
  chainId: string
  number: string
  hash: Hex
  parentHash: Hex
  /** Block timestamp, seconds. */
  timestamp: string
}

export type CronPayload = {
  kind: 'cron'
  schedule: string
  /** The tick this invocation stands for (not the time it ran), ms since the epoch. */
  scheduledAtMs: string
}

export type RoutePayload = {
  kind: 'route'
  method: string
  /** Path below the function's route prefix, starting with `/`. */
  path: string
  /** Query parameters in the order they appeared. */
  query: [string, string][]
  /**
   * Request headers the handler may read (route-headers.ts: lower-case names, sorted, one per name,
   * never credentials). Absent when there are none, and in payloads written before headers existed.
   */
  headers?: [string, string][]
  body: Hex
}

export type TriggerPayload = EventPayload | BlockPayload | CronPayload | RoutePayload

const lower = (h: string) => h.toLowerCase() as Hex

/** Canonical bytes of a payload: fixed key order, lowercase hex. Equal payloads give equal bytes. */
export function encodeTriggerPayload(p: TriggerPayload): Uint8Array {
  let canonical: TriggerPayload
  switch (p.kind) {
    case 'event':
      canonical = {
        kind: 'event',
        chainId: p.chainId,
        blockNumber: p.blockNumber,
        blockHash: lower(p.blockHash),
        logIndex: p.logIndex,
        transactionHash: lower(p.transactionHash),
        transactionIndex: p.transactionIndex,
        address: lower(p.address),
        topics: p.topics.map(lower),
        data: lower(p.data),
        // Omitted when absent: a payload written before the gateway decoded encodes as it did then.
        // eventArgs writes `args` canonical (no keys, no host formatting); it is copied as is.
        ...(p.args !== undefined ? { args: p.args } : {}),
        ...(p.decodeError !== undefined ? { decodeError: p.decodeError } : {}),
      }
      break
    case 'block':
      canonical = { kind: 'block', chainId: p.chainId, number: p.number, hash: lower(p.hash), parentHash: lower(p.parentHash), timestamp: p.timestamp }
      break
    case 'cron':
      canonical = { kind: 'cron', schedule: p.schedule, scheduledAtMs: p.scheduledAtMs }
      break
    case 'route': {
      const headers = routeRequestHeaders(p.headers ?? [])
      canonical = {
        kind: 'route',
        method: p.method.toUpperCase(),
        path: p.path,
        query: p.query.map(([k, v]) => [k, v]),
        // Omitted when empty: a request without forwarded headers encodes as it did before they existed.
        ...(headers.length > 0 ? { headers } : {}),
        body: lower(p.body),
      }
      break
    }
  }
  return new TextEncoder().encode(JSON.stringify(canonical))
}

/** Parse input bytes written for `trigger` (not 'http' or 'inbox': those inputs are raw bytes). Throws TypeError on malformed input. */
export function decodeTriggerPayload(trigger: Exclude<TriggerKind, 'http' | 'inbox'>, input: Uint8Array): TriggerPayload {
  const parsed = JSON.parse(new TextDecoder().decode(input)) as TriggerPayload
  if (!parsed || typeof parsed !== 'object' || parsed.kind !== trigger)
    throw new TypeError(`input is not a "${trigger}" trigger payload (kind: ${String((parsed as { kind?: unknown } | null)?.kind)})`)
  return parsed
}

/**
 * Deterministic idempotency key of a chain-triggered invocation: a restart or a re-delivery of the
 * same log/block/tick maps to the same key, so the log never holds it twice.
 */
export function triggerIdempotencyKey(p: EventPayload | BlockPayload | CronPayload): string {
  switch (p.kind) {
    case 'event':
      return `event:${p.chainId}:${lower(p.blockHash)}:${p.logIndex}`
    case 'block':
      return `block:${p.chainId}:${p.number}`
    case 'cron':
      return `cron:${p.schedule}:${p.scheduledAtMs}`
  }
}
