// The inbox round trip end to end (issue 6): a consumer contract on anvil asks NexusInbox, the
// gateway's relay turns the Requested event into an invocation, 4 real replica processes (t = 3)
// run it and sign, the relay submits fulfil, the inbox verifies the BLS signature on-chain and
// calls the consumer back. A replayed fulfil is rejected; a gateway restart sends nothing twice.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { getContractAddress, parseEventLogs, toHex, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import * as NexusConsumerExample from '@nexus/contracts/generated/NexusConsumerExample'
import * as NexusInbox from '@nexus/contracts/generated/NexusInbox'
import { startAnvil, type Anvil } from '@nexus/contracts'
import { createClients, deployArtifact, deployNexus, FunctionMode, registerFunction, type Clients } from '@nexus/contracts'
import { toFulfilArgs, type AttestedResultLike } from '@nexus/contracts'
import { revertName } from '@nexus/testkit/contracts'
import type { ChainSpec } from '@nexus/protocol'
import type { InboxRelayConfig } from '../src/inbox/index.ts'
import { deploy, invocationsOf, startChainGateway, startChainStack, triggerArtifact, until, type ChainGateway, type ChainStack } from './triggers.stack.ts'

/** anvil's second default account: the relayer (public test key). */
const RELAYER_KEY: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
const relayer = privateKeyToAccount(RELAYER_KEY).address

/** Generous: CI runs every suite at once on 2 cores. */
const TEST_TIMEOUT = 600_000

let anvil: Anvil
let clients: Clients
let stack: ChainStack
let gw: ChainGateway
let chain: ChainSpec
let relay: InboxRelayConfig
let inbox: Address
let consumer: Address

const mine = (blocks: number) => clients.public.request({ method: 'anvil_mine', params: [toHex(blocks)] } as never)
const read = <T>(functionName: string, args: readonly unknown[] = [], address = consumer, abi: any = NexusConsumerExample.abi) =>
  clients.public.readContract({ address, abi, functionName, args } as never) as Promise<T>

async function ask(input: string): Promise<bigint> {
  const hash = await clients.wallet.writeContract({ address: consumer, abi: NexusConsumerExample.abi, functionName: 'ask', args: [toHex(input)] })
  const receipt = await clients.public.waitForTransactionReceipt({ hash })
  const [requested] = parseEventLogs({ abi: NexusInbox.abi, eventName: 'Requested', logs: receipt.logs })
  await mine(2) // finality: 2 confirmations
  return requested!.args.requestId
}

async function fulfilledEvents(requestId: bigint) {
  const logs = await clients.public.getContractEvents({ address: inbox, abi: NexusInbox.abi, eventName: 'Fulfilled', args: { requestId }, fromBlock: 0n })
  return logs
}

beforeAll(async () => {
  anvil = await startAnvil()
  clients = createClients(anvil.rpcUrl)
  // The network signs results bound to the verifier's address: it is the first contract the
  // default account deploys on a fresh chain, so the keys can be made before it exists.
  const verifier = getContractAddress({ from: clients.wallet.account.address, nonce: 0n })
  stack = await startChainStack({ chainId: '31337', verifier })
  const nexus = await deployNexus(clients, { groupPublicKey: stack.network.groupPublicKey as Hex })
  expect(nexus.verifier).toBe(verifier)
  inbox = nexus.inbox
  chain = { name: 'devnet', chainId: 31337, rpcUrl: anvil.rpcUrl, finality: { confirmations: 2 }, pollingIntervalMs: 100 }
  relay = { chain: 'devnet', address: inbox, relayerPrivateKey: RELAYER_KEY, startBlock: '1' }
  gw = await startChainGateway(stack, { name: 'inbox', chains: [chain], inboxes: [relay] })
  const artifact = await triggerArtifact('asker', [])
  expect((await deploy(gw.url, artifact)).status).toBe(201)
  const functionId = await registerFunction(clients, { inbox, mode: FunctionMode.Bls, codeHash: artifact.codeHash })
  ;({ address: consumer } = await deployArtifact(clients, NexusConsumerExample, [inbox, functionId]))
}, TEST_TIMEOUT)

afterAll(async () => {
  await gw?.close()
  await Promise.all(stack?.replicas.map((r) => r.stop()) ?? [])
  await anvil?.stop()
}, TEST_TIMEOUT)

describe('inbox round trip on anvil (3-of-4 real replicas)', () => {
  test(
    'request → gateway → replicas → fulfil → consumer callback, exactly once; a replayed fulfil is rejected',
    async () => {
      const requestId = await ask('{"name":"chain"}')
      await until('the consumer got its answer', async () => (await read<bigint>('answered')) >= 1n, 240_000, 250)

      const output = await read<Hex>('answers', [requestId])
      expect(JSON.parse(Buffer.from(output.slice(2), 'hex').toString())).toMatchObject({ greeting: 'hello, chain', count: 1, seq: '1' })
      expect(await read<number>('statuses', [requestId])).toBe(0)
      const onChain = await read<readonly unknown[]>('requests', [requestId], inbox, NexusInbox.abi)
      expect(onChain[2]).toBe(2) // Fulfilled
      expect(onChain[3]).toBe(true) // callbackOk
      const events = await fulfilledEvents(requestId)
      expect(events).toHaveLength(1)
      expect((await clients.public.getTransaction({ hash: events[0]!.transactionHash })).from.toLowerCase()).toBe(relayer.toLowerCase())

      // The invocation ran on the request's input bytes verbatim (what the inbox's inputHash binds).
      const [inv] = await invocationsOf(gw.gateway, 'asker')
      expect(inv!.trigger).toBe('inbox')
      // Replicas sign protocol v2: the result names its function, and the inbox verified that digest.
      expect(inv!.result).toMatchObject({ protocol: 'nexus.result.v2', fields: { protocol: 'nexus.result.v2', functionId: 'asker' } })
      expect(events[0]!.args.resultDigest).toBe((inv!.result as { digest: Hex }).digest)
      expect(Buffer.from(inv!.input.slice(2), 'hex').toString()).toBe('{"name":"chain"}')

      // Replaying the same attested result: the inbox refuses it.
      const { result, output: out, signature } = toFulfilArgs(inv!.result as unknown as AttestedResultLike)
      const replay = clients.public.simulateContract({
        account: clients.wallet.account,
        address: inbox,
        abi: NexusInbox.abi,
        functionName: 'fulfil',
        args: [requestId, result, out, signature],
      })
      expect(await revertName(replay)).toBe('AlreadyFulfilled')
      // ...and against a fresh request with the same input: the result is bound to seq 1, already used.
      const again = await ask('{"name":"chain"}')
      const reuse = clients.public.simulateContract({
        account: clients.wallet.account,
        address: inbox,
        abi: NexusInbox.abi,
        functionName: 'fulfil',
        args: [again, result, out, signature],
      })
      expect(['ResultAlreadyUsed', 'AlreadyFulfilled']).toContain(await revertName(reuse))
      await until('second answer', async () => (await read<bigint>('answered')) >= 2n, 240_000, 250)
      const second = JSON.parse(Buffer.from((await read<Hex>('answers', [again])).slice(2), 'hex').toString())
      expect(second).toMatchObject({ count: 2, seq: '2' })
    },
    TEST_TIMEOUT,
  )

  test(
    'a gateway restart does not fulfil anything twice',
    async () => {
      const nonce = await clients.public.getTransactionCount({ address: relayer })
      await gw.close()
      gw = await startChainGateway(stack, { name: 'inbox', chains: [chain], inboxes: [relay] })
      const third = await ask('{"name":"after restart"}')
      await until('third answer', async () => (await read<bigint>('answered')) >= 3n, 240_000, 250)
      await mine(3)
      await until('relay idle', async () => gw.inboxes[0]!.status().fulfilled >= 1)
      for (const id of [1n, 2n, third]) expect(await fulfilledEvents(id)).toHaveLength(1)
      // Exactly one new relayer transaction: the fulfil of the new request.
      expect(await clients.public.getTransactionCount({ address: relayer })).toBe(nonce + 1)
      expect(await read<bigint>('answered')).toBe(3n)
    },
    TEST_TIMEOUT,
  )

  test(
    'an inbox function bound to a gateway function is served by that function; one bound to a function nobody deployed is skipped',
    async () => {
      const codeHash = (await invocationsOf(gw.gateway, 'asker'))[0]!.codeHash as Hex
      const bound = await registerFunction(clients, { inbox, mode: FunctionMode.Bls, codeHash, nexusFunctionId: 'asker' })
      const ghost = await registerFunction(clients, { inbox, mode: FunctionMode.Bls, codeHash, nexusFunctionId: 'ghost' })
      const boundConsumer = (await deployArtifact(clients, NexusConsumerExample, [inbox, bound])).address
      const ghostConsumer = (await deployArtifact(clients, NexusConsumerExample, [inbox, ghost])).address
      const skippedBefore = gw.inboxes[0]!.status().skipped
      for (const address of [ghostConsumer, boundConsumer])
        await clients.public.waitForTransactionReceipt({
          hash: await clients.wallet.writeContract({ address, abi: NexusConsumerExample.abi, functionName: 'ask', args: [toHex('{"name":"bound"}')] }),
        })
      await mine(2)
      await until('the bound consumer got its answer', async () => (await read<bigint>('answered', [], boundConsumer)) >= 1n, 240_000, 250)
      await until('the ghost request was skipped', async () => gw.inboxes[0]!.status().skipped > skippedBefore, 60_000, 250)
      expect(await read<bigint>('answered', [], ghostConsumer)).toBe(0n)
    },
    TEST_TIMEOUT,
  )
})
