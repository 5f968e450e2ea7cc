// Inbox relay (issue 6): turns NexusInbox `Requested` events that reached finality into
// invocations, and submits `fulfil` once they are attested, from a configured relayer account.
//
// What binds the invocation to the request: the inbox checks `result.inputHash == keccak256(input)`
// of the request, `result.codeHash` against the registered function, `chainId`/`verifier` against
// itself and, for a function bound to a gateway function (registerBoundFunction), that the
// protocol-v2 result names that function. So the invocation's input is the request's `input` bytes
// verbatim (trigger 'inbox', no envelope), the gateway function must run the registered code hash
// (and be the bound one when the event names one), and the network must be keyed for this chain
// and verifier. Replicas sign v2 results, which the inbox verifies like v1 ones.
//
// Exactly once: the invocation is idempotent by (chainId, blockHash, logIndex) of the event; the
// fulfilment is tracked in nexus_inbox_requests and, before sending, checked against the inbox's
// own request state, so a restart never sends a second fulfil and `AlreadyFulfilled` is success.
import { and, asc, eq } from 'drizzle-orm'
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  defineChain,
  encodeEventTopics,
  hexToBytes,
  http,
  zeroHash,
  type Hex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import * as NexusInbox from '@nexus/contracts/generated/NexusInbox'
import { toFulfilArgs } from '@nexus/contracts'
import { functionIdHash } from '@nexus/protocol/attest'
import type { ChainSpec } from '@nexus/protocol'
import type { Db } from '../database/index.ts'
import { inboxRequests } from '../triggers/tables.ts'
import type { Log } from '../log/index.ts'
import type { Scheduler } from '../scheduler/index.ts'
import { appendChainInvocation, type LogSink } from '../triggers/sinks.ts'
import type { BlockHeader, RpcLog } from '../triggers/rpc.ts'

export type InboxRelayConfig = {
  /** Chain config name (one of the gateway's `chains`). */
  chain: string
  /** NexusInbox address. */
  address: Hex
  /** Account that sends `fulfil` (pays its gas). */
  relayerPrivateKey: Hex
  /** Inbox functionId (bytes32) → gateway function id. Default: the deployed function whose code hash is the request's. */
  functions?: Record<Hex, string>
  /** First block to read requests from. Default: the head when the relay first runs. */
  startBlock?: string
  /** How often pending fulfilments are looked at, ms. Default: 250. */
  pollingIntervalMs?: number
}

export type InboxRelay = ReturnType<typeof createInboxRelay>

const REQUESTED_TOPIC = encodeEventTopics({ abi: NexusInbox.abi, eventName: 'Requested' })[0]
const FULFILLED = 2 // NexusInbox.State.Fulfilled
const BLS = 1 // NexusInbox.Mode.Bls

/** The custom error name a contract call reverted with, if it reverted. */
function revertName(err: unknown): string | undefined {
  if (!(err instanceof BaseError)) return undefined
  const revert = err.walk((e) => e instanceof ContractFunctionRevertedError)
  return revert instanceof ContractFunctionRevertedError ? (revert.data?.errorName ?? revert.reason ?? 'revert') : undefined
}

export function createInboxRelay(p: { config: InboxRelayConfig; chain: ChainSpec; db: Db; log: Log; scheduler: Scheduler; logger?: (m: string) => void }) {
  const { config, chain, db, log } = p
  const logger = p.logger ?? (() => {})
  const inbox = config.address.toLowerCase() as Hex
  const chainId = BigInt(chain.chainId)
  const viemChain = defineChain({
    id: chain.chainId,
    name: chain.name,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [chain.rpcUrl] } },
  })
  const transport = http(chain.rpcUrl, { retryCount: 3 })
  const publicClient = createPublicClient({ chain: viemChain, transport, pollingInterval: 100 })
  const wallet = createWalletClient({ chain: viemChain, transport, account: privateKeyToAccount(config.relayerPrivateKey) })
  const abort = new AbortController()
  let loop: Promise<void> | undefined
  const counts = { requests: 0, fulfilled: 0, failed: 0, skipped: 0 }

  async function gatewayFunction(functionId: Hex, codeHash: Hex, bound: Hex): Promise<string | undefined> {
    // A bound inbox function names its gateway function (by hash): only that one's results are accepted.
    const fits = (id: string) => bound === zeroHash || functionIdHash(id) === bound.toLowerCase()
    const mapped = config.functions?.[functionId] ?? config.functions?.[functionId.toLowerCase() as Hex]
    if (mapped) return fits(mapped) ? mapped : undefined
    return (await log.listFunctions()).find((f) => f.codeHash === codeHash.toLowerCase() && fits(f.id))?.id
  }

  async function deliverRequest(l: RpcLog, header: BlockHeader) {
    const { args } = decodeEventLog({ abi: NexusInbox.abi, eventName: 'Requested', data: l.data, topics: l.topics as [Hex, ...Hex[]] })
    if (args.mode !== BLS) {
      counts.skipped++
      return logger(`[inbox] request ${args.requestId}: mode ${args.mode} is not served by the replicated path; skipped`)
    }
    const functionId = await gatewayFunction(args.functionId, args.codeHash, args.nexusFunctionIdHash)
    if (!functionId) {
      counts.skipped++
      const bound = args.nexusFunctionIdHash === zeroHash ? '' : ` as the function bound by hash ${args.nexusFunctionIdHash}`
      return logger(`[inbox] request ${args.requestId}: no deployed function runs code ${args.codeHash}${bound}; skipped`)
    }
    const { invocation } = await appendChainInvocation(p, {
      functionId,
      input: hexToBytes(args.input),
      trigger: 'inbox',
      idempotencyKey: `inbox:${chainId}:${l.blockHash}:${l.logIndex}`,
      chainId,
      header,
    })
    const rows = await db
      .insert(inboxRequests)
      .values({ chainId, inbox, requestId: args.requestId, functionId, invocationId: invocation.id })
      .onConflictDoNothing()
      .returning({ requestId: inboxRequests.requestId })
    counts.requests += rows.length
  }

  const sink: LogSink = {
    kind: 'log',
    key: `inbox/${inbox}`,
    filter: { address: inbox, topics: [REQUESTED_TOPIC] },
    startBlock: config.startBlock === undefined ? undefined : BigInt(config.startBlock),
    async deliver(logs) {
      // One request at a time: each names its function only once decoded, and is recorded with its invocation.
      for (const { log: l, header } of logs) await deliverRequest(l, header)
    },
  }

  type Row = typeof inboxRequests.$inferSelect
  const where = (r: Row) => and(eq(inboxRequests.chainId, chainId), eq(inboxRequests.inbox, inbox), eq(inboxRequests.requestId, r.requestId))
  const mark = (r: Row, set: Partial<Row>) =>
    db
      .update(inboxRequests)
      .set({ ...set, updatedAt: new Date() })
      .where(where(r))

  async function fulfilOne(row: Row): Promise<void> {
    const invocation = await log.getInvocation(row.invocationId)
    if (invocation?.state !== 'attested' || !invocation.result) return
    const onChain = await publicClient.readContract({ address: inbox, abi: NexusInbox.abi, functionName: 'requests', args: [row.requestId] })
    if (onChain[2] === FULFILLED) {
      await mark(row, { state: 'fulfilled' })
      counts.fulfilled++
      return
    }
    if (row.txHash) {
      // A fulfil we sent before a restart: it either landed (then the state above says so) or not.
      const receipt = await publicClient.getTransactionReceipt({ hash: row.txHash as Hex }).catch(() => undefined)
      if (receipt?.status === 'success') return // state will read Fulfilled once the node catches up
      if (!receipt) {
        const pending = await publicClient.getTransaction({ hash: row.txHash as Hex }).catch(() => undefined)
        if (pending) return // still in the mempool: wait for it instead of sending another
      }
    }
    const { result, output, signature } = toFulfilArgs(invocation.result)
    let request
    try {
      ;({ request } = await publicClient.simulateContract({
        account: wallet.account,
        address: inbox,
        abi: NexusInbox.abi,
        functionName: 'fulfil',
        args: [row.requestId, result, output, signature],
      }))
    } catch (err) {
      const name = revertName(err)
      if (name === 'AlreadyFulfilled') {
        await mark(row, { state: 'fulfilled' })
        counts.fulfilled++
        return
      }
      if (name) {
        // A deterministic rejection (wrong input, wrong key...): retrying cannot help.
        await mark(row, { state: 'failed', error: name })
        counts.failed++
        return logger(`[inbox] request ${row.requestId}: fulfil rejected by the inbox (${name})`)
      }
      throw err
    }
    const hash = await wallet.writeContract(request)
    await mark(row, { txHash: hash })
    const receipt = await publicClient.waitForTransactionReceipt({ hash })
    if (receipt.status === 'success') {
      await mark(row, { state: 'fulfilled' })
      counts.fulfilled++
    }
  }

  async function fulfilPending() {
    const rows = await db
      .select()
      .from(inboxRequests)
      .where(and(eq(inboxRequests.chainId, chainId), eq(inboxRequests.inbox, inbox), eq(inboxRequests.state, 'pending')))
      .orderBy(asc(inboxRequests.requestId))
      .limit(100)
    for (const row of rows) {
      if (abort.signal.aborted) return
      try {
        await fulfilOne(row)
      } catch (err) {
        logger(`[inbox] request ${row.requestId}: fulfil failed, will retry: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`)
      }
    }
  }

  return {
    sink,
    start() {
      const interval = config.pollingIntervalMs ?? 250
      loop = (async () => {
        while (!abort.signal.aborted) {
          await fulfilPending().catch((err: unknown) => logger(`[inbox] ${String(err)}`))
          await new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer)
              abort.signal.removeEventListener('abort', done)
              resolve()
            }
            const timer = setTimeout(done, interval)
            abort.signal.addEventListener('abort', done, { once: true })
          })
        }
      })()
    },
    status: () => ({ inbox, chainId: chain.chainId, ...counts }),
    async stop() {
      abort.abort()
      await loop
    },
  }
}
