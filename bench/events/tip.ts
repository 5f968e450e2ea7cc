// Tip latency: one Transfer at a time (a mint of 1 to a tip address, auto-mined by anvil), timed
// from its receipt to the indexer having handled its block; p50 over `count` events after two
// warm-ups. Both sides poll the chain every 100 ms and need 0 confirmations; the Transfers are sent
// at phases spread over the polling interval (the same for both sides).
import type { Address } from 'viem'
import * as ExampleToken from '@nexus/contracts/generated/ExampleToken'
import type { BenchChain } from './chain.ts'

const tipSink: Address = '0x000000000000000000000000000000000000071b'
export const TIP_WARMUP = 2

/** Latencies in ms of `count` Transfers (after the warm-ups); `handled` resolves once the block is indexed. */
export async function measureTip(chain: BenchChain, count: number, handled: (block: bigint, k: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = []
  if (count <= 0) return latencies
  for (let k = 1; k <= count + TIP_WARMUP; k++) {
    // Sent at a spread of phases of the 100 ms polling, not right after the last one was handled:
    // back to back, each Transfer would land at the same point of the indexer's poll cycle (just
    // after the round that handled the previous one), and the p50 would measure that one phase.
    await new Promise((resolve) => setTimeout(resolve, (k * 37) % 100))
    const hash = await chain.clients.wallet.writeContract({ address: chain.token, abi: ExampleToken.abi, functionName: 'mint', args: [tipSink, 1n] })
    const receipt = await chain.clients.public.waitForTransactionReceipt({ hash, pollingInterval: 5 })
    const mined = performance.now()
    await handled(receipt.blockNumber, k)
    if (k > TIP_WARMUP) latencies.push(performance.now() - mined)
  }
  chain.events += count + TIP_WARMUP // the next indexer to start sees these Transfers too
  return latencies
}

export const p50 = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : Number.NaN)
