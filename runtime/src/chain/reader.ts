// Answers the sandbox's chain reads on the main thread, over viem, pinned to the invocation's
// block. Deterministic outcomes (a value, a revert, a bad argument) become `{ ok }` / `{ err }` for
// the guest; everything else throws ChainUnavailableError so the invocation is retried, not attested.
import { createPublicClient, http, isAddress, isHex, numberToHex, RpcRequestError, BaseError, type Hex, type PublicClient } from 'viem'
import { ChainUnavailableError } from './errors.ts'
import { pinLogFilter } from './log-filter.ts'
import { NOT_PINNED, type ChainAnswer, type ChainPin, type ChainReadRequest } from './requests.ts'

export type ChainReaderOptions = {
  /** JSON-RPC URL per chain id. */
  rpc: Record<string, string>
  /** Per-request timeout, ms. Default: 10_000. */
  timeoutMs?: number
}

/** Gas every `call` runs with, so the node's own default cap never changes a result. */
export const CALL_GAS = 30_000_000n

type RpcLog = {
  address: Hex
  topics: Hex[]
  data: Hex
  blockNumber: Hex
  blockHash: Hex
  logIndex: Hex
  transactionHash: Hex
  transactionIndex: Hex
}

export type ChainReader = { read(pin: ChainPin, request: ChainReadRequest): Promise<ChainAnswer> }

export function createChainReader(options: ChainReaderOptions): ChainReader {
  const clients = new Map<string, PublicClient>()
  const clientFor = (chainId: bigint): PublicClient => {
    const key = chainId.toString()
    let client = clients.get(key)
    if (!client) {
      const url = options.rpc[key]
      if (!url) throw new ChainUnavailableError(`No RPC is configured for chain ${key} on this replica.`)
      client = createPublicClient({ transport: http(url, { retryCount: 1, timeout: options.timeoutMs ?? 10_000 }) })
      clients.set(key, client)
    }
    return client
  }

  async function rpc<T>(client: PublicClient, method: string, params: unknown[]): Promise<T> {
    try {
      return (await client.request({ method, params } as never)) as T
    } catch (err) {
      throw new ChainUnavailableError(`Chain RPC ${method} failed.`, { cause: err })
    }
  }

  async function call(client: PublicClient, block: Hex, to: string, data: string): Promise<ChainAnswer> {
    if (!isAddress(to, { strict: false })) return { err: 'call: "to" is not an address' }
    if (!isHex(data) || data.length % 2 !== 0) return { err: 'call: "data" is not 0x-prefixed hex' }
    try {
      const result = await client.request({
        method: 'eth_call',
        params: [{ to: to.toLowerCase() as Hex, data: data.toLowerCase() as Hex, gas: numberToHex(CALL_GAS) }, block],
      } as never)
      return { ok: String(result).toLowerCase() }
    } catch (err) {
      const revert = revertData(err)
      if (revert !== undefined) return { err: `execution reverted: ${revert}` }
      throw new ChainUnavailableError('Chain RPC eth_call failed.', { cause: err })
    }
  }

  return {
    async read(pin, request) {
      if (pin.blockNumber === undefined) return { err: NOT_PINNED }
      const client = clientFor(pin.chainId)
      const block = numberToHex(pin.blockNumber)
      switch (request.op) {
        case 'chain.call':
          return call(client, block, request.to, request.data)
        case 'chain.balance': {
          if (!isAddress(request.address, { strict: false })) return { err: 'get-balance: not an address' }
          const balance = await rpc<Hex>(client, 'eth_getBalance', [request.address.toLowerCase(), block])
          return { ok: BigInt(balance).toString() }
        }
        case 'chain.logs': {
          const filter = pinLogFilter(request.filter, pin.blockNumber)
          if (typeof filter === 'string') return { err: filter }
          const logs = await rpc<RpcLog[]>(client, 'eth_getLogs', [
            {
              ...(filter.address === undefined ? {} : { address: filter.address }),
              ...(filter.topics === undefined ? {} : { topics: filter.topics }),
              fromBlock: numberToHex(filter.fromBlock),
              toBlock: numberToHex(filter.toBlock),
            },
          ])
          return { ok: canonicalLogs(logs) }
        }
      }
    },
  }
}

/** Logs as canonical JSON: fixed keys and order, lowercase hex, numbers as the payloads use them. */
export function canonicalLogs(logs: RpcLog[]): string {
  const rows = logs.map((l) => ({
    address: l.address.toLowerCase(),
    topics: l.topics.map((t) => t.toLowerCase()),
    data: l.data.toLowerCase(),
    blockNumber: BigInt(l.blockNumber).toString(),
    blockHash: l.blockHash.toLowerCase(),
    logIndex: Number(BigInt(l.logIndex)),
    transactionHash: l.transactionHash.toLowerCase(),
    transactionIndex: Number(BigInt(l.transactionIndex)),
  }))
  rows.sort((a, b) => (BigInt(a.blockNumber) === BigInt(b.blockNumber) ? a.logIndex - b.logIndex : BigInt(a.blockNumber) < BigInt(b.blockNumber) ? -1 : 1))
  return JSON.stringify(rows)
}

/**
 * The revert data of a failed `eth_call`, or undefined when the failure was not a revert. Only the
 * returned bytes count: node messages differ between clients, the data does not.
 */
function revertData(err: unknown): Hex | undefined {
  const rpcError = err instanceof BaseError ? (err.walk((e) => e instanceof RpcRequestError) as RpcRequestError | null) : null
  if (!rpcError) return undefined
  const reverted = rpcError.code === 3 || /execution reverted|revert/i.test(rpcError.details ?? '')
  if (!reverted) return undefined
  const data = rpcError.data
  return typeof data === 'string' && isHex(data) ? (data.toLowerCase() as Hex) : '0x'
}
