// Chain triggers end to end: real anvil (Prague), a real 3-of-4 replica set (child processes), and
// in-process gateways whose trigger service follows anvil over HTTP JSON-RPC. One replica set for
// the file; each case uses its own function names (and its own gateway where it needs one).
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { getAbiItem, getAddress, keccak256, pad, toEventSelector, toHex, zeroAddress, type Address, type Hex } from 'viem'
import { verifyResult } from '@nexus/protocol/attest'
import type { ChainSpec } from '@nexus/protocol'
import * as ExampleToken from '@nexus/contracts/generated/ExampleToken'
import { startAnvil, type Anvil } from '@nexus/contracts'
import { createClients, deployArtifact, type Clients } from '@nexus/contracts'
import { ChainConfigError } from '../src/triggers/index.ts'
import { startRpcProxy } from './rpc-proxy.ts'
import {
  API_KEY,
  chainGatewaySchema,
  deploy,
  invocationsOf,
  killProcess,
  payloadOf,
  startGatewayProcess,
  startChainGateway,
  startChainStack,
  transfersTo as transferTrigger,
  triggerArtifact,
  until,
  type ChainGateway,
  type ChainStack,
} from './triggers.stack.ts'

const CONFIRMATIONS = 4
const transferAbi = getAbiItem({ abi: ExampleToken.abi, name: 'Transfer' })
const TRANSFER = toEventSelector(transferAbi)
const alice: Address = '0x00000000000000000000000000000000000a11ce'
const bob: Address = '0x0000000000000000000000000000000000000b0b'
const carol: Address = '0x00000000000000000000000000000000000ca201'
const dave: Address = '0x000000000000000000000000000000000000da7e'
const erin: Address = '0x00000000000000000000000000000000000e7140'

/** Generous: CI runs every suite at once on 2 cores. */
const TEST_TIMEOUT = 600_000

let anvil: Anvil
let clients: Clients
let token: Address
let stack: ChainStack
let main: ChainGateway
let chain: ChainSpec

const rpc = async <T = unknown>(method: string, params: unknown[] = []): Promise<T> => clients.public.request({ method, params } as never) as Promise<T>
const head = async () => clients.public.getBlockNumber({ cacheTime: 0 })
const mine = (blocks: number) => rpc('anvil_mine', [toHex(blocks)])

async function send(functionName: 'mint' | 'transferMany', args: readonly [Address, bigint]) {
  const hash = await clients.wallet.writeContract({ address: token, abi: ExampleToken.abi, functionName, args })
  return clients.public.waitForTransactionReceipt({ hash })
}

const transfersTo = (to: Address, startBlock: bigint) => transferTrigger(token, to, startBlock)

/** Waits for `n` more completed polling rounds of a gateway's trigger service. */
async function rounds(gw: ChainGateway, n: number) {
  const at = gw.triggers.status()[0]!.rounds
  await until(`${n} trigger rounds`, () => gw.triggers.status()[0]!.rounds >= at + n)
}

/** All invocations of a function, once `count` exist and every one is attested. */
async function attested(gw: ChainGateway, functionId: string, count: number, timeoutMs = 240_000) {
  return until(
    `${count} attested invocations of ${functionId}`,
    async () => {
      const rows = await invocationsOf(gw.gateway, functionId)
      return rows.length >= count && rows.every((r) => r.state === 'attested') ? rows : undefined
    },
    timeoutMs,
    250,
  )
}

beforeAll(async () => {
  anvil = await startAnvil()
  clients = createClients(anvil.rpcUrl)
  ;({ address: token } = await deployArtifact(clients, ExampleToken))
  stack = await startChainStack()
  chain = { name: 'devnet', chainId: 31337, rpcUrl: anvil.rpcUrl, finality: { confirmations: CONFIRMATIONS }, pollingIntervalMs: 100 }
  main = await startChainGateway(stack, { name: 'main', chains: [chain] })
}, TEST_TIMEOUT)

afterAll(async () => {
  await main?.close()
  await Promise.all(stack?.replicas.map((r) => r.stop()) ?? [])
  await anvil?.stop()
}, TEST_TIMEOUT)

describe('chain triggers on anvil (3-of-4 real replicas)', () => {
  test(
    'an ERC-20 Transfer triggers onEvent exactly once, at finality, and the attested result is served',
    async () => {
      const start = (await head()) + 1n
      expect((await deploy(main.url, await triggerArtifact('transfers', [transfersTo(alice, start)]))).status).toBe(201)
      const receipt = await send('mint', [alice, 7n])
      await send('mint', [bob, 1n]) // filtered out by the `to` topic
      await rounds(main, 3)
      expect(await invocationsOf(main.gateway, 'transfers')).toHaveLength(0) // not final yet

      await mine(CONFIRMATIONS)
      const [inv] = await attested(main, 'transfers', 1)
      const block = await clients.public.getBlock({ blockNumber: receipt.blockNumber })
      const payload = payloadOf(inv!)
      expect(payload).toEqual({
        kind: 'event',
        chainId: '31337',
        blockNumber: receipt.blockNumber.toString(),
        blockHash: block.hash,
        logIndex: receipt.logs[0]!.logIndex,
        transactionHash: receipt.transactionHash,
        transactionIndex: receipt.transactionIndex,
        address: token.toLowerCase(),
        topics: [TRANSFER, pad('0x00'), pad(alice)],
        data: pad(toHex(7n)),
        // Decoded by the gateway (protocol event-args.ts): positional, addresses checksummed, uints as decimal strings.
        args: [zeroAddress, getAddress(alice), '7'],
      })
      expect(inv!.trigger).toBe('event')
      expect(inv!.idempotencyKey).toBe(`event:31337:${block.hash}:${receipt.logs[0]!.logIndex}`)
      expect(inv!.timestampMs).toBe(block.timestamp * 1000n) // the block's clock, not the gateway's
      expect(inv!.blockNumber).toBe(receipt.blockNumber)

      const served = (await (await fetch(`${main.url}/v1/results/${inv!.id}`)).json()) as any
      expect(served.state).toBe('attested')
      expect(served.result.fields.inputHash).toBe(keccak256(inv!.input as Hex))
      expect((await verifyResult(served.result, stack.network)).ok).toBe(true)

      await mine(3)
      await rounds(main, 3)
      expect(await invocationsOf(main.gateway, 'transfers')).toHaveLength(1)
    },
    TEST_TIMEOUT,
  )

  test(
    'onBlock({ every: 5 }) fires on blocks 5, 10, 15',
    async () => {
      expect(
        (await deploy(main.url, await triggerArtifact('every5', [{ kind: 'block', chain: 'devnet', chainId: 31337, every: 5, startBlock: '1' }]))).status,
      ).toBe(201)
      const now = await head()
      if (now < 15n + BigInt(CONFIRMATIONS)) await mine(Number(15n + BigInt(CONFIRMATIONS) - now))
      const rows = await until('block 15 delivered', async () => {
        const r = await invocationsOf(main.gateway, 'every5')
        return r.some((i) => i.blockNumber === 15n) ? r : undefined
      })
      const numbers = rows.map((r) => r.blockNumber!)
      expect(numbers.slice(0, 3)).toEqual([5n, 10n, 15n])
      expect(numbers.every((n) => n % 5n === 0n)).toBe(true)
      expect(new Set(numbers).size).toBe(numbers.length)
      for (const r of rows.slice(0, 3)) {
        const block = await clients.public.getBlock({ blockNumber: r.blockNumber! })
        expect(payloadOf(r)).toEqual({
          kind: 'block',
          chainId: '31337',
          number: block.number.toString(),
          hash: block.hash,
          parentHash: block.parentHash,
          timestamp: block.timestamp.toString(),
        })
      }
      await attested(main, 'every5', 3)
    },
    TEST_TIMEOUT,
  )

  test(
    'a reorg of depth 3 (below the confirmation depth): the orphaned event is never delivered, the canonical one is',
    async () => {
      const start = (await head()) + 1n
      expect((await deploy(main.url, await triggerArtifact('reorged', [transfersTo(bob, start)]))).status).toBe(201)
      await until('follower at head', async () => main.triggers.status()[0]!.tip === (await head()).toString())
      const reorgsBefore = main.triggers.status()[0]!.reorgs

      const snapshot = await rpc<Hex>('evm_snapshot')
      const orphan = await send('mint', [bob, 111n])
      await mine(2)
      const top = orphan.blockNumber + 2n
      await until('follower saw the branch', () => BigInt(main.triggers.status()[0]!.tip ?? 0) >= top)
      await rounds(main, 2)
      expect(await rpc<boolean>('evm_revert', [snapshot])).toBe(true)

      const canonical = await send('mint', [bob, 222n])
      expect(canonical.blockNumber).toBe(orphan.blockNumber)
      expect(canonical.blockHash).not.toBe(orphan.blockHash)
      await mine(CONFIRMATIONS + 2)
      const [inv] = await attested(main, 'reorged', 1)
      await rounds(main, 3)
      const rows = await invocationsOf(main.gateway, 'reorged')
      expect(rows).toHaveLength(1)
      expect(payloadOf(inv!).blockHash).toBe(canonical.blockHash)
      expect(payloadOf(inv!).data).toBe(pad(toHex(222n)))
      const status = main.triggers.status()[0]!
      expect(status.reorgs).toBeGreaterThan(reorgsBefore)
      expect(status.orphaned).toBeGreaterThanOrEqual(3)
    },
    TEST_TIMEOUT,
  )

  test(
    'killing the gateway mid-backfill and restarting delivers every event exactly once',
    async () => {
      const COUNT = 120
      const start = (await head()) + 1n
      await send('mint', [clients.wallet.account.address, 10_000n])
      await send('transferMany', [carol, 60n])
      await send('transferMany', [carol, 60n])
      await mine(CONFIRMATIONS)
      const expected = (await clients.public.getLogs({ address: token, event: transferAbi, args: { to: carol }, fromBlock: start })).map(
        (l) => `event:31337:${l.blockHash}:${l.logIndex}`,
      )
      expect(expected).toHaveLength(COUNT)

      // The first gateway is a real process (gateway/src/bin.ts --chains), SIGKILLed mid-backfill.
      const first = await startGatewayProcess(stack, 'restart', [chain])
      try {
        expect((await deploy(first.url, await triggerArtifact('backfill', [transfersTo(carol, start)]))).status).toBe(201)
        const lastSeq = async () => BigInt(((await (await fetch(`${first.url}/v1/functions/backfill`)).json()) as { lastSeq: string }).lastSeq)
        // Killed once the first logs are appended (the first getLogs ranges are a block or two: log-step.ts), before they are all attested.
        await until('backfill under way', async () => (await lastSeq()) > 0n, 180_000, 5)
      } finally {
        await killProcess(first.proc)
      }
      // backfill-crash.e2e.test.ts kills a longer backfill, spread over several cursor steps, at a checked point.

      const second = await startChainGateway(stack, { name: 'restart', chains: [chain] })
      try {
        const rows = await attested(second, 'backfill', COUNT)
        await rounds(second, 3)
        const all = await invocationsOf(second.gateway, 'backfill')
        expect(all).toHaveLength(COUNT)
        expect(all.map((r) => r.idempotencyKey).sort()).toEqual([...expected].sort())
        expect(all.map((r) => r.seq)).toEqual(Array.from({ length: COUNT }, (_, i) => BigInt(i + 1)))
        // Log order is chain order: (blockNumber, logIndex).
        expect(all.map((r) => r.idempotencyKey)).toEqual(expected)
        for (const r of rows.slice(0, 3)) expect((await verifyResult(r.result, stack.network)).ok).toBe(true)
      } finally {
        await second.close()
      }
    },
    TEST_TIMEOUT,
  )

  test(
    'an RPC that drops connections, rate-limits and refuses ranges loses and duplicates nothing',
    async () => {
      const start = (await head()) + 1n
      const receipts = []
      for (let i = 1n; i <= 12n; i++) receipts.push(await send('mint', [dave, i]))
      await mine(CONFIRMATIONS)
      // Every 5th request dropped, every 7th rate-limited, eth_getLogs over 3 blocks refused.
      const proxy = await startRpcProxy(anvil.rpcUrl, { maxLogBlocks: 3, dropEvery: 5, rateLimitEvery: 7 })
      const flaky = await startChainGateway(stack, { name: 'flaky', chains: [{ ...chain, rpcUrl: proxy.url, maxLogRange: 1000 }] })
      try {
        expect((await deploy(flaky.url, await triggerArtifact('flaky', [transfersTo(dave, start)]))).status).toBe(201)
        await attested(flaky, 'flaky', 12)
        await mine(3)
        await rounds(flaky, 5)
        const rows = await invocationsOf(flaky.gateway, 'flaky')
        expect(rows.map((r) => r.idempotencyKey)).toEqual(receipts.map((r) => `event:31337:${r.blockHash}:${r.logs[0]!.logIndex}`))
        expect(rows.map((r) => BigInt(payloadOf(r).data))).toEqual(receipts.map((_, i) => BigInt(i + 1)))
        expect(proxy.counts.dropped).toBeGreaterThan(0)
        expect(proxy.counts.rateLimited).toBeGreaterThan(0)
        expect(proxy.counts.rangeRefused).toBeGreaterThan(0)
      } finally {
        await flaky.close()
        await proxy.close()
      }
    },
    TEST_TIMEOUT,
  )

  test(
    'a backfill fetches one block first, then ranges that double while they hold few logs: the first invocations are appended early, every log once',
    async () => {
      const start = (await head()) + 1n
      await send('mint', [clients.wallet.account.address, 1_000n])
      await send('transferMany', [erin, 40n])
      await mine(40)
      await send('transferMany', [erin, 40n])
      await mine(CONFIRMATIONS)
      const expected = (await clients.public.getLogs({ address: token, event: transferAbi, args: { to: erin }, fromBlock: start })).map(
        (l) => `event:31337:${l.blockHash}:${l.logIndex}`,
      )
      expect(expected).toHaveLength(80)
      const proxy = await startRpcProxy(anvil.rpcUrl, { maxLogBlocks: 1_000 })
      const gw = await startChainGateway(stack, { name: 'steps', chains: [{ ...chain, rpcUrl: proxy.url }] })
      try {
        expect((await deploy(gw.url, await triggerArtifact('steps', [transfersTo(erin, start)]))).status).toBe(201)
        await attested(gw, 'steps', 80)
        const rows = await invocationsOf(gw.gateway, 'steps')
        expect(rows.map((r) => r.idempotencyKey)).toEqual(expected)
        // The sink's ranges: contiguous from its start block, one block first, then doubling (each
        // held at most 40 logs, under half a log transaction), until the final block.
        const ranges = proxy.logRanges.filter((r) => r.address === token.toLowerCase())
        expect(ranges[0]).toMatchObject({ fromBlock: start, toBlock: start })
        const sizes = ranges.map((r) => Number(r.toBlock - r.fromBlock + 1n))
        for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.fromBlock).toBe(ranges[i - 1]!.toBlock + 1n)
        expect(sizes.slice(0, 5)).toEqual([1, 2, 4, 8, 16])
      } finally {
        await gw.close()
        await proxy.close()
      }
    },
    TEST_TIMEOUT,
  )

  test(
    'bad config: negative confirmations is a ChainConfigError before anything starts',
    async () => {
      await expect(startChainGateway(stack, { name: 'bad', chains: [{ ...chain, finality: { confirmations: -1 } }] })).rejects.toBeInstanceOf(ChainConfigError)
    },
    TEST_TIMEOUT,
  )
})
