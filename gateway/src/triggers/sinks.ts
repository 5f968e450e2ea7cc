// What the trigger service delivers to: a log sink (an @onEvent trigger, or the inbox relay) or a
// block sink (an @onBlock trigger). Each has its own persisted cursor, keyed by `key`. The service
// hands a sink a run of logs (or blocks) at a time; a function's sink appends the whole run in one
// log transaction (appendMany) and submits the new invocations to the scheduler in one call.
import { createHash } from 'node:crypto'
import type { Hex } from 'viem'
import { bytesHex, encodeTriggerPayload, eventPayloadArgs, triggerIdempotencyKey, type BlockPayload, type EventPayload } from '@nexus/protocol'
import type { BlockTriggerSpec, EventTriggerSpec } from '@nexus/protocol'
import type { AppendParameters, Log } from '../log/index.ts'
import type { Scheduler } from '../scheduler/index.ts'
import type { BlockHeader, LogFilter, RpcLog } from './rpc.ts'

export type LogSink = {
  kind: 'log'
  key: string
  filter: LogFilter
  /** First block to deliver; undefined = from the chain head when first seen. */
  startBlock?: bigint
  /** Deliver a run of logs in chain order, each with the canonical header of its block. */
  deliver(logs: { log: RpcLog; header: BlockHeader }[]): Promise<void>
}

export type BlockSink = {
  kind: 'block'
  key: string
  every: bigint
  startBlock?: bigint
  /** Deliver a run of blocks in chain order. */
  deliver(headers: BlockHeader[]): Promise<void>
}

export type Sink = LogSink | BlockSink

const sha256 = (text: string | Uint8Array) => createHash('sha256').update(text).digest('hex')

/** Cursor key: the function and a hash of the trigger spec (a changed spec starts its own cursor). */
export const sinkKey = (functionId: string, spec: unknown) => `${functionId}/${sha256(JSON.stringify(spec)).slice(0, 16)}`

export type ChainAppend = { functionId: string; input: Uint8Array; trigger: string; idempotencyKey: string; chainId: bigint; header: BlockHeader }

const appendParameters = (p: ChainAppend): AppendParameters => ({
  functionId: p.functionId,
  input: bytesHex(p.input),
  trigger: p.trigger,
  idempotencyKey: p.idempotencyKey,
  requestHash: sha256(p.input),
  keyNamesRequest: true,
  // The function's clock is the block's, never the gateway's: every replica sees the same time.
  timestampMs: p.header.timestamp * 1000n,
  chainId: p.chainId,
  blockNumber: p.header.number,
})

/** Append one chain-triggered invocation (idempotent by its key) and hand a new one to the scheduler. */
export async function appendChainInvocation({ log, scheduler }: { log: Log; scheduler: Scheduler }, p: ChainAppend) {
  const { invocation, created } = await log.append(appendParameters(p))
  if (created) scheduler.submit(invocation)
  return { invocation, created }
}

/**
 * Append a run of chain-triggered invocations of one function in one transaction (each idempotent
 * by its key: a re-delivered run writes nothing) and hand the new ones to the scheduler at once.
 */
export async function appendChainInvocations({ log, scheduler }: { log: Log; scheduler: Scheduler }, items: ChainAppend[]) {
  // At the tip a round usually brings one event: append's two statements beat a transaction's six.
  if (items.length === 1) return [await appendChainInvocation({ log, scheduler }, items[0]!)]
  const answered = await log.appendMany(items.map(appendParameters))
  scheduler.submitMany(answered.flatMap((a) => (a.created ? [a.invocation] : [])))
  return answered
}

/** The invocation a trigger payload makes: its canonical bytes are the input, its key the idempotency key. */
const chainAppend = (functionId: string, payload: EventPayload | BlockPayload, header: BlockHeader): ChainAppend => ({
  functionId,
  input: encodeTriggerPayload(payload),
  trigger: payload.kind,
  idempotencyKey: triggerIdempotencyKey(payload),
  chainId: BigInt(payload.chainId),
  header,
})

/** The payload an event trigger's handler gets (its canonical bytes are the invocation's input). */
export function eventPayload(spec: EventTriggerSpec, l: RpcLog): EventPayload {
  const payload: EventPayload = {
    kind: 'event',
    chainId: String(spec.chainId),
    blockNumber: l.blockNumber.toString(),
    blockHash: l.blockHash,
    logIndex: l.logIndex,
    transactionHash: l.transactionHash,
    transactionIndex: l.transactionIndex,
    address: l.address,
    topics: l.topics,
    data: l.data,
    // Decoded here, once, so no replica runs an ABI decoder in its guest (protocol: event-args.ts).
    ...eventPayloadArgs(spec.abi, l.topics, l.data),
  }
  return payload
}

/** The payload a block trigger's handler gets. */
export function blockPayload(spec: BlockTriggerSpec, header: BlockHeader): BlockPayload {
  return {
    kind: 'block',
    chainId: String(spec.chainId),
    number: header.number.toString(),
    hash: header.hash,
    parentHash: header.parentHash,
    timestamp: header.timestamp.toString(),
  }
}

export function eventSink(deps: { log: Log; scheduler: Scheduler }, functionId: string, spec: EventTriggerSpec): LogSink {
  return {
    kind: 'log',
    key: sinkKey(functionId, spec),
    filter: { address: spec.address.toLowerCase() as Hex, topics: [spec.topic0.toLowerCase() as Hex, ...(spec.topics ?? [])] },
    startBlock: spec.startBlock === undefined ? undefined : BigInt(spec.startBlock),
    async deliver(logs) {
      await appendChainInvocations(
        deps,
        logs.map(({ log: l, header }) => chainAppend(functionId, eventPayload(spec, l), header)),
      )
    },
  }
}

export function blockSink(deps: { log: Log; scheduler: Scheduler }, functionId: string, spec: BlockTriggerSpec): BlockSink {
  const every = BigInt(spec.every ?? 1)
  return {
    kind: 'block',
    key: sinkKey(functionId, spec),
    every: every > 0n ? every : 1n,
    startBlock: spec.startBlock === undefined ? undefined : BigInt(spec.startBlock),
    async deliver(headers) {
      await appendChainInvocations(
        deps,
        headers.map((header) => chainAppend(functionId, blockPayload(spec, header), header)),
      )
    },
  }
}
