// Chain reads travel from the sandbox worker to the main thread over the same synchronous
// channel as storage reads. The answer is `{ ok }` or `{ err }`: both are deterministic results the
// guest sees; anything non-deterministic (an RPC failure) never comes back as an answer.

export type ChainReadRequest = { op: 'chain.call'; to: string; data: string } | { op: 'chain.balance'; address: string } | { op: 'chain.logs'; filter: string }

export type ChainAnswer = { ok: string } | { err: string }

export const isChainRead = (request: { op: string }): request is ChainReadRequest => request.op.startsWith('chain.')

/** What reads are pinned to: the trigger's chain and block (absent for HTTP/cron invocations). */
export type ChainPin = { chainId: bigint; blockNumber: bigint | undefined }

/** The deterministic error a handler gets when it reads the chain outside a chain-triggered invocation. */
export const NOT_PINNED = 'chain reads need a chain-triggered invocation'
