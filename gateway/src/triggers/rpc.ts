// JSON-RPC access for the trigger service over viem's HTTP transport: block headers and
// `eth_getLogs`, with retries (dropped connections, 429, 5xx) and range splitting when a node
// refuses a block range. Every answer is used only after it is checked against the canonical
// header chain (follower.ts), so a flaky RPC can slow delivery down but never change it.
import { createPublicClient, http, numberToHex, type Hex, type PublicClient } from 'viem'
import { LogRangeError, RpcUnavailableError } from './errors.ts'

export type BlockHeader = { number: bigint; hash: Hex; parentHash: Hex; timestamp: bigint }

export type RpcLog = {
  address: Hex
  topics: Hex[]
  data: Hex
  blockNumber: bigint
  blockHash: Hex
  logIndex: number
  transactionHash: Hex
  transactionIndex: number
}

export type LogFilter = { address: Hex; topics: (Hex | Hex[] | null)[] }

export type ChainRpc = {
  client: PublicClient
  call<T>(method: string, params: unknown[]): Promise<T>
  header(block: bigint | 'latest' | 'safe' | 'finalized'): Promise<BlockHeader>
  chainId(): Promise<number>
  /** Logs matching `filter` in [from, to], ordered by (blockNumber, logIndex). */
  getLogs(filter: LogFilter, from: bigint, to: bigint): Promise<RpcLog[]>
}

export type CreateChainRpcParameters = {
  rpcUrl: string
  /** Largest range asked for at once; halved on a range error, grown back on success. Default: 2000. */
  maxLogRange?: number
  /** Attempts per request for transient failures. Default: 8. */
  attempts?: number
  /** First backoff, doubled per attempt up to 5 s. Default: 100 ms. */
  backoffMs?: number
  onRetry?: (message: string) => void
  /** Stops retrying once aborted (the service is shutting down). */
  signal?: AbortSignal
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Every message and status in an error's cause chain (viem nests the HTTP/RPC error). */
function describe(err: unknown): { text: string; status?: number; code?: number } {
  const parts: string[] = []
  let status: number | undefined
  let code: number | undefined
  for (let e = err as { cause?: unknown; message?: string; details?: string; status?: number; code?: number } | undefined; e; e = e.cause as typeof e) {
    parts.push(String(e.details ?? ''), String(e.message ?? ''))
    if (typeof e.status === 'number') status ??= e.status
    if (typeof e.code === 'number') code ??= e.code
    if (parts.length > 20) break
  }
  return { text: parts.join(' | '), status, code }
}

/** Node answers meaning "ask for fewer blocks" (geth, erigon, Alchemy, Infura, QuickNode, anvil wordings). */
export function isRangeError(err: unknown): boolean {
  const { text, code } = describe(err)
  return (
    code === -32005 ||
    /query returned more than|block range|range (is )?too (large|wide|big)|exceed(s|ed)? .*(range|limit|results)|too many (results|logs|blocks)|limit exceeded|response size|log response size/i.test(
      text,
    )
  )
}

/** Failures worth retrying as they are: network, 429, 5xx, timeouts. */
export function isTransientError(err: unknown): boolean {
  const { text, status } = describe(err)
  if (status !== undefined) return status === 429 || status >= 500
  return /fetch failed|socket|ECONNRESET|ECONNREFUSED|EPIPE|other side closed|timed? ?out|network|terminated|rate limit|too many requests/i.test(text)
}

export function createChainRpc(p: CreateChainRpcParameters): ChainRpc {
  const client: PublicClient = createPublicClient({ transport: http(p.rpcUrl, { retryCount: 0, batch: { batchSize: 100 } }) })
  const attempts = p.attempts ?? 8
  const backoffMs = p.backoffMs ?? 100
  const maxRange = BigInt(p.maxLogRange ?? 2000)
  let range = maxRange

  async function call<T>(method: string, params: unknown[]): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await client.request({ method, params } as never)) as T
      } catch (err) {
        if (!isTransientError(err) || isRangeError(err)) throw err
        if (attempt >= attempts || p.signal?.aborted) throw new RpcUnavailableError(`${method} failed ${attempt} times`, { cause: err })
        p.onRetry?.(`${method}: ${describe(err).text.slice(0, 200)} (attempt ${attempt})`)
        await sleep(Math.min(5000, backoffMs * 2 ** (attempt - 1)))
      }
    }
  }

  type RawHeader = { number: Hex; hash: Hex; parentHash: Hex; timestamp: Hex } | null
  const toHeader = (raw: RawHeader, what: string): BlockHeader => {
    if (!raw) throw new RpcUnavailableError(`block ${what} not found`)
    return {
      number: BigInt(raw.number),
      hash: raw.hash.toLowerCase() as Hex,
      parentHash: raw.parentHash.toLowerCase() as Hex,
      timestamp: BigInt(raw.timestamp),
    }
  }

  async function getLogsOnce(filter: LogFilter, from: bigint, to: bigint): Promise<RpcLog[]> {
    type RawLog = {
      address: Hex
      topics: Hex[]
      data: Hex
      blockNumber: Hex
      blockHash: Hex
      logIndex: Hex
      transactionHash: Hex
      transactionIndex: Hex
      removed?: boolean
    }
    const raw = await call<RawLog[]>('eth_getLogs', [
      { address: filter.address, topics: filter.topics, fromBlock: numberToHex(from), toBlock: numberToHex(to) },
    ])
    return raw
      .filter((l) => !l.removed)
      .map((l) => ({
        address: l.address.toLowerCase() as Hex,
        topics: l.topics.map((t) => t.toLowerCase() as Hex),
        data: l.data.toLowerCase() as Hex,
        blockNumber: BigInt(l.blockNumber),
        blockHash: l.blockHash.toLowerCase() as Hex,
        logIndex: Number(l.logIndex),
        transactionHash: l.transactionHash.toLowerCase() as Hex,
        transactionIndex: Number(l.transactionIndex),
      }))
  }

  /** Logs of [from, to], split into ranges the node accepts. */
  async function getLogsSplit(filter: LogFilter, from: bigint, to: bigint): Promise<RpcLog[]> {
    try {
      return await getLogsOnce(filter, from, to)
    } catch (err) {
      if (!isRangeError(err)) throw err
      if (from === to) throw new LogRangeError(`eth_getLogs refused even block ${from}`, { cause: err })
      const span = to - from + 1n
      range = span / 2n > 0n ? span / 2n : 1n // remember: the next call starts smaller
      p.onRetry?.(`eth_getLogs ${from}..${to} refused (${describe(err).text.slice(0, 120)}); splitting`)
      const mid = from + span / 2n - 1n
      return [...(await getLogsSplit(filter, from, mid)), ...(await getLogsSplit(filter, mid + 1n, to))]
    }
  }

  return {
    client,
    call,
    async header(block: bigint | 'latest' | 'safe' | 'finalized'): Promise<BlockHeader> {
      const tag = typeof block === 'bigint' ? numberToHex(block) : block
      return toHeader(await call<RawHeader>('eth_getBlockByNumber', [tag, false]), String(block))
    },
    async chainId(): Promise<number> {
      return Number(await call<Hex>('eth_chainId', []))
    },
    /** Logs matching `filter` in [from, to], ordered by (blockNumber, logIndex). */
    async getLogs(filter: LogFilter, from: bigint, to: bigint): Promise<RpcLog[]> {
      const out: RpcLog[] = []
      for (let start = from; start <= to; ) {
        const end = start + range - 1n < to ? start + range - 1n : to
        out.push(...(await getLogsSplit(filter, start, end)))
        start = end + 1n
        if (range < maxRange) range = range * 2n > maxRange ? maxRange : range * 2n // grow back after a split
      }
      return out.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1))
    },
  }
}
