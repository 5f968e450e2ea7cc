// The `get-logs` filter a handler passes as JSON, validated and pinned: every block bound must be
// at or below the invocation's block, so the answer can never depend on how far a node has synced.
import { isAddress, isHex, type Hex } from 'viem'

export type LogFilterInput = {
  address?: string | string[]
  topics?: (string | string[] | null)[]
  /** Decimal block numbers (string or safe integer). Default: the pinned block. */
  fromBlock?: string | number
  toBlock?: string | number
}

export type PinnedLogFilter = { address?: Hex | Hex[]; topics?: (Hex | Hex[] | null)[]; fromBlock: bigint; toBlock: bigint }

/** Largest block span one `get-logs` may cover; keeps a single read bounded on every node. */
export const MAX_LOG_SPAN = 10_000n

/** Returns the pinned filter, or a deterministic error message for the guest. */
export function pinLogFilter(json: string, pinned: bigint): PinnedLogFilter | string {
  let input: LogFilterInput
  try {
    input = JSON.parse(json) as LogFilterInput
  } catch {
    return 'get-logs: filter is not valid JSON'
  }
  if (!input || typeof input !== 'object' || Array.isArray(input)) return 'get-logs: filter must be a JSON object'
  const block = (value: unknown, name: string): bigint | string => {
    if (value === undefined) return pinned
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value)
    if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value)
    return `get-logs: ${name} must be a decimal block number`
  }
  const fromBlock = block(input.fromBlock, 'fromBlock')
  if (typeof fromBlock === 'string') return fromBlock
  const toBlock = block(input.toBlock, 'toBlock')
  if (typeof toBlock === 'string') return toBlock
  if (toBlock > pinned) return `get-logs: toBlock ${toBlock} is after the invocation's block ${pinned}`
  if (fromBlock > toBlock) return 'get-logs: fromBlock is after toBlock'
  if (toBlock - fromBlock >= MAX_LOG_SPAN) return `get-logs: at most ${MAX_LOG_SPAN} blocks per call`
  const filter: PinnedLogFilter = { fromBlock, toBlock }
  if (input.address !== undefined) {
    const list = Array.isArray(input.address) ? input.address : [input.address]
    if (list.length === 0 || list.some((a) => typeof a !== 'string' || !isAddress(a, { strict: false })))
      return 'get-logs: address must be an address or a non-empty list of addresses'
    const lower = list.map((a) => a.toLowerCase() as Hex)
    filter.address = Array.isArray(input.address) ? lower : lower[0]!
  }
  if (input.topics !== undefined) {
    if (!Array.isArray(input.topics) || input.topics.length > 4) return 'get-logs: topics must be a list of at most 4 entries'
    const topic = (t: unknown) => typeof t === 'string' && isHex(t) && t.length === 66
    const topics: (Hex | Hex[] | null)[] = []
    for (const t of input.topics) {
      if (t === null) topics.push(null)
      else if (topic(t)) topics.push((t as string).toLowerCase() as Hex)
      else if (Array.isArray(t) && t.length > 0 && t.every(topic)) topics.push(t.map((x) => x.toLowerCase() as Hex))
      else return 'get-logs: each topic must be null, a 32-byte hex string or a list of them'
    }
    filter.topics = topics
  }
  return filter
}
