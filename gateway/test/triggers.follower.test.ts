// The trigger service's chain reading on its own (no replicas, seconds): error classification,
// eth_getLogs range splitting against a node that refuses ranges, and the follower's reorg
// detection by parent-hash linkage on a real anvil (evm_snapshot / evm_revert).
import { startRpcProxy } from './rpc-proxy.ts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { getAbiItem, pad, toEventSelector, toHex, type Address, type Hex } from 'viem'
import * as ExampleToken from '@nexus/contracts/generated/ExampleToken'
import { startAnvil, type Anvil } from '@nexus/contracts'
import { createClients, deployArtifact, type Clients } from '@nexus/contracts'
import { createChainRpc, createFollower, isRangeError, isTransientError, LogRangeError } from '../src/triggers/index.ts'

let anvil: Anvil
let clients: Clients
let token: Address
const rpc = <T = unknown>(method: string, params: unknown[] = []) => clients.public.request({ method, params } as never) as Promise<T>
const mine = (n: number) => rpc('anvil_mine', [toHex(n)])

beforeAll(async () => {
  anvil = await startAnvil()
  clients = createClients(anvil.rpcUrl)
  ;({ address: token } = await deployArtifact(clients, ExampleToken))
})
afterAll(async () => {
  await anvil?.stop()
})

describe('trigger chain reading', () => {
  test('error classification: range refusals vs transient failures', () => {
    const rpcError = (message: string, code = -32000) => Object.assign(new Error('RPC Request failed.'), { details: message, code })
    expect(isRangeError(rpcError('query returned more than 10000 results'))).toBe(true)
    expect(isRangeError(rpcError('eth_getLogs is limited to a 1000 block range'))).toBe(true)
    expect(isRangeError(rpcError('whatever', -32005))).toBe(true)
    expect(isRangeError(rpcError('execution reverted'))).toBe(false)
    expect(isTransientError(Object.assign(new Error('HTTP request failed.'), { status: 429 }))).toBe(true)
    expect(isTransientError(Object.assign(new Error('HTTP request failed.'), { status: 400 }))).toBe(false)
    expect(isTransientError(new Error('fetch failed', { cause: new Error('other side closed') }))).toBe(true)
    expect(isTransientError(rpcError('execution reverted'))).toBe(false)
  })

  test('eth_getLogs is split until the node accepts the range; order is (blockNumber, logIndex)', async () => {
    const to: Address = '0x00000000000000000000000000000000000f00d5'
    // cacheTime 0: viem caches the block number for its polling interval (4 s), which would cut the last mints off.
    const from = (await clients.public.getBlockNumber({ cacheTime: 0 })) + 1n
    for (let i = 1n; i <= 9n; i++) {
      const hash = await clients.wallet.writeContract({ address: token, abi: ExampleToken.abi, functionName: 'mint', args: [to, i] })
      await clients.public.waitForTransactionReceipt({ hash })
    }
    const last = await clients.public.getBlockNumber({ cacheTime: 0 })
    const proxy = await startRpcProxy(anvil.rpcUrl, { maxLogBlocks: 2 })
    try {
      const chain = createChainRpc({ rpcUrl: proxy.url, maxLogRange: 1000 })
      const transfer = getAbiItem({ abi: ExampleToken.abi, name: 'Transfer' })
      const logs = await chain.getLogs({ address: token, topics: [toEventSelector(transfer), null, pad(to)] }, from, last)
      expect(logs.map((l) => BigInt(l.data))).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n])
      expect(proxy.counts.rangeRefused).toBeGreaterThan(0)
      // A node that refuses even one block is an error, not an empty answer.
      const hopeless = await startRpcProxy(anvil.rpcUrl, { maxLogBlocks: 0 })
      try {
        await expect(createChainRpc({ rpcUrl: hopeless.url }).getLogs({ address: token, topics: [] }, from, from + 1n)).rejects.toBeInstanceOf(LogRangeError)
      } finally {
        await hopeless.close()
      }
    } finally {
      await proxy.close()
    }
  })

  test('the follower notices a reorg by parent hash and drops the orphaned blocks', async () => {
    const chain = createChainRpc({ rpcUrl: anvil.rpcUrl })
    const follower = createFollower({ rpc: chain, finality: { confirmations: 4 } })
    await mine(2)
    const first = await follower.advance()
    expect(first.final).toBe(first.head.number - 4n)
    const snapshot = await rpc<Hex>('evm_snapshot')
    await mine(3)
    const branch = await follower.advance()
    expect(branch.orphaned).toBe(0)
    const orphanHash = (await follower.headers([first.head.number + 1n])).get(first.head.number + 1n)!.hash
    await rpc('evm_revert', [snapshot])
    await rpc('anvil_setNextBlockTimestamp', [Number(branch.head.timestamp) + 100]) // make the re-mined blocks differ
    await mine(4)
    const after = await follower.advance()
    expect(after.orphaned).toBe(3)
    expect(follower.status().reorgs).toBe(1)
    const canonical = (await follower.headers([first.head.number + 1n])).get(first.head.number + 1n)!
    expect(canonical.hash).not.toBe(orphanHash)
    expect(canonical.hash).toBe((await clients.public.getBlock({ blockNumber: first.head.number + 1n })).hash)
    // A shorter chain (revert without re-mining) is a reorg too.
    const snap2 = await rpc<Hex>('evm_snapshot')
    await mine(2)
    await follower.advance()
    await rpc('evm_revert', [snap2])
    const shorter = await follower.advance()
    expect(shorter.orphaned).toBe(2)
  })

  test("'safe' and 'finalized' finality read the node's tags", async () => {
    const chain = createChainRpc({ rpcUrl: anvil.rpcUrl })
    const { head, final } = await createFollower({ rpc: chain, finality: 'finalized' }).advance()
    const tagged = await clients.public.getBlock({ blockTag: 'finalized' })
    expect(final).toBe(tagged.number < head.number ? tagged.number : head.number)
  })
})
