// NexusInbox on a real Prague chain: request event → replicas (attestation code) → fulfil →
// callback exactly once; replay, reverting and gas-burning callbacks, and every binding check.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { keccak256, parseEventLogs, toHex, type Address, type Hex } from 'viem'
import { startAnvil, type Anvil } from '../src/anvil.ts'
import { createClients, deployArtifact, deployNexus, FunctionMode, registerFunction, type Clients } from '../src/deploy.ts'
import { toFulfilArgs } from '../src/encode.ts'
import * as NexusInbox from '../generated/NexusInbox.ts'
import * as NexusConsumerExample from '../generated/NexusConsumerExample.ts'
import * as TestConsumer from '../generated/TestConsumer.ts'
import { verifyResult, type AttestedResult } from '@nexus/protocol/attest'
import { attest, CODE_HASH, fieldsFor, revertName, testNetwork } from '@nexus/testkit/contracts'

const net = testNetwork()
let anvil: Anvil
let clients: Clients
let verifier: Address
let inbox: Address
let functionId: Hex
let seq = 0n

beforeAll(async () => {
  anvil = await startAnvil()
  clients = createClients(anvil.rpcUrl)
  ;({ verifier, inbox } = await deployNexus(clients, { groupPublicKey: net.network.groupPublicKey }))
  functionId = await registerFunction(clients, { inbox, mode: FunctionMode.Bls, codeHash: CODE_HASH })
})
afterAll(async () => {
  await anvil?.stop()
})

async function send(hashPromise: Promise<Hex>) {
  const receipt = await clients.public.waitForTransactionReceipt({ hash: await hashPromise })
  expect(receipt.status).toBe('success')
  return receipt
}

/** Consumer asks; returns the Requested event exactly as the trigger service would read it. */
async function ask(consumer: Address, abi: typeof NexusConsumerExample.abi | typeof TestConsumer.abi, input: Hex) {
  const receipt =
    abi === NexusConsumerExample.abi
      ? await send(clients.wallet.writeContract({ address: consumer, abi: NexusConsumerExample.abi, functionName: 'ask', args: [input] }))
      : await send(clients.wallet.writeContract({ address: consumer, abi: TestConsumer.abi, functionName: 'ask', args: [functionId, input, 100_000n] }))
  const [event] = parseEventLogs({ abi: NexusInbox.abi, eventName: 'Requested', logs: receipt.logs })
  if (!event) throw new Error('no Requested event')
  return event.args
}

/**
 * The replicas' side: run the gateway function `nexusFunction` (here: reverse the input bytes) and
 * attest the result — protocol v2, as replicas sign today; `nexusFunction: null` makes a v1 result.
 */
function execute(input: Hex, status: 0 | 1 = 0, nexusFunction: string | null = 'reverse'): AttestedResult {
  const output = toHex(Uint8Array.from(Buffer.from(input.slice(2), 'hex')).reverse())
  return attest(net, fieldsFor({ verifier, input, output, seq: ++seq, status, functionId: nexusFunction ?? undefined }), output)
}

const fulfil = (requestId: bigint, a: AttestedResult, gas?: bigint) => {
  const { result, output, signature } = toFulfilArgs(a)
  return clients.wallet.writeContract({ address: inbox, abi: NexusInbox.abi, functionName: 'fulfil', args: [requestId, result, output, signature], gas })
}
const simulateFulfil = (requestId: bigint, a: AttestedResult, gas?: bigint) => {
  const { result, output, signature } = toFulfilArgs(a)
  return clients.public.simulateContract({
    account: clients.wallet.account,
    address: inbox,
    abi: NexusInbox.abi,
    functionName: 'fulfil',
    args: [requestId, result, output, signature],
    gas,
  })
}
const request = (id: bigint) => clients.public.readContract({ address: inbox, abi: NexusInbox.abi, functionName: 'requests', args: [id] })

describe('NexusInbox round trip', () => {
  test('request → event → 3-of-4 attested result → fulfil → callback exactly once', async () => {
    const consumer = (await deployArtifact(clients, NexusConsumerExample, [inbox, functionId])).address
    const input: Hex = '0x0102030405'
    const ev = await ask(consumer, NexusConsumerExample.abi, input)
    // The event carries everything the trigger service needs to build the invocation.
    expect(ev).toMatchObject({
      functionId,
      consumer,
      mode: FunctionMode.Bls,
      codeHash: CODE_HASH,
      inputHash: keccak256(input),
      input,
      callbackGasLimit: 200_000n,
    })

    const attested = execute(ev.input)
    expect(attested.protocol).toBe('nexus.result.v2')
    // The off-chain verifier agrees before we spend gas.
    expect(await verifyResult(attested, { ...net.network, chainId: '31337', verifier })).toEqual({ ok: true, digest: attested.digest })

    const receipt = await send(fulfil(ev.requestId, attested))
    const [done] = parseEventLogs({ abi: NexusInbox.abi, eventName: 'Fulfilled', logs: receipt.logs })
    expect(done?.args).toMatchObject({ requestId: ev.requestId, resultDigest: attested.digest, status: 0, callbackOk: true, output: attested.output })
    const answered = parseEventLogs({ abi: NexusConsumerExample.abi, eventName: 'Answered', logs: receipt.logs })
    expect(answered).toHaveLength(1)
    expect(await clients.public.readContract({ address: consumer, abi: NexusConsumerExample.abi, functionName: 'answers', args: [ev.requestId] })).toBe(
      '0x0504030201',
    )
    expect(await clients.public.readContract({ address: consumer, abi: NexusConsumerExample.abi, functionName: 'answered' })).toBe(1n)

    // Replayed fulfil: rejected, and the consumer is not called again.
    expect(await revertName(simulateFulfil(ev.requestId, attested))).toBe('AlreadyFulfilled')
    // The same attested result for a second, identical request: rejected (a result fulfils one request).
    const ev2 = await ask(consumer, NexusConsumerExample.abi, input)
    expect(await revertName(simulateFulfil(ev2.requestId, attested))).toBe('ResultAlreadyUsed')
    await send(fulfil(ev2.requestId, execute(ev2.input)))
    expect(await clients.public.readContract({ address: consumer, abi: NexusConsumerExample.abi, functionName: 'answered' })).toBe(2n)
  })

  test('a handler-error result is delivered with its status', async () => {
    const consumer = (await deployArtifact(clients, NexusConsumerExample, [inbox, functionId])).address
    const ev = await ask(consumer, NexusConsumerExample.abi, '0xdead')
    const receipt = await send(fulfil(ev.requestId, execute(ev.input, 1)))
    const [done] = parseEventLogs({ abi: NexusInbox.abi, eventName: 'Fulfilled', logs: receipt.logs })
    expect(done?.args.status).toBe(1)
    expect(await clients.public.readContract({ address: consumer, abi: NexusConsumerExample.abi, functionName: 'statuses', args: [ev.requestId] })).toBe(1)
  })
})

describe('NexusInbox callbacks that fail', () => {
  test.each([
    ['reverts', 1],
    ['burns all its gas', 2],
  ] as const)('a consumer that %s does not block the inbox; the result is stored', async (_, behaviour) => {
    const consumer = (await deployArtifact(clients, TestConsumer, [inbox])).address
    await send(clients.wallet.writeContract({ address: consumer, abi: TestConsumer.abi, functionName: 'setBehaviour', args: [behaviour] }))
    const ev = await ask(consumer, TestConsumer.abi, '0xabcdef')
    const attested = execute(ev.input)
    const receipt = await send(fulfil(ev.requestId, attested))
    const [done] = parseEventLogs({ abi: NexusInbox.abi, eventName: 'Fulfilled', logs: receipt.logs })
    expect(done?.args.callbackOk).toBe(false)
    const [, , state, callbackOk, status, , , resultDigest, outputHash] = await request(ev.requestId)
    expect({ state, callbackOk, status, resultDigest, outputHash }).toEqual({
      state: 2,
      callbackOk: false,
      status: 0,
      resultDigest: attested.digest,
      outputHash: keccak256(attested.output),
    })
    expect(await revertName(simulateFulfil(ev.requestId, attested))).toBe('AlreadyFulfilled')
    expect(await clients.public.readContract({ address: consumer, abi: TestConsumer.abi, functionName: 'calls' })).toBe(0n)
    // The inbox keeps working for everyone else.
    const ok = (await deployArtifact(clients, TestConsumer, [inbox])).address
    const ev2 = await ask(ok, TestConsumer.abi, '0x01')
    await send(fulfil(ev2.requestId, execute(ev2.input)))
    expect(await clients.public.readContract({ address: ok, abi: TestConsumer.abi, functionName: 'calls' })).toBe(1n)
  })

  test('a relayer cannot starve the callback: too little gas reverts the whole fulfil', async () => {
    const consumer = (await deployArtifact(clients, TestConsumer, [inbox])).address
    const receipt = await send(
      clients.wallet.writeContract({ address: consumer, abi: TestConsumer.abi, functionName: 'ask', args: [functionId, '0x02', 2_000_000n] }),
    )
    const [ev] = parseEventLogs({ abi: NexusInbox.abi, eventName: 'Requested', logs: receipt.logs })
    const attested = execute(ev!.args.input)
    expect(await revertName(simulateFulfil(ev!.args.requestId, attested, 1_000_000n))).toBe('InsufficientGasForCallback')
    const [, , state] = await request(ev!.args.requestId)
    expect(state).toBe(1) // still pending
    await send(fulfil(ev!.args.requestId, attested, 3_000_000n))
    expect(await clients.public.readContract({ address: consumer, abi: TestConsumer.abi, functionName: 'calls' })).toBe(1n)
  })
})

describe('NexusInbox rejections', () => {
  let consumer: Address
  let ev: Awaited<ReturnType<typeof ask>>
  beforeAll(async () => {
    consumer = (await deployArtifact(clients, TestConsumer, [inbox])).address
    ev = await ask(consumer, TestConsumer.abi, '0x0a0b')
  })
  const variant = (change: (f: ReturnType<typeof fieldsFor>) => void, output?: Hex) => {
    const out = output ?? '0x0b0a'
    const fields = fieldsFor({ verifier, input: ev.input, output: out, seq: ++seq })
    change(fields)
    return attest(net, fields, out)
  }
  test.each([
    ['another input', (f: ReturnType<typeof fieldsFor>) => void (f.inputHash = keccak256('0x0a0c')), 'WrongInput'],
    ['another function', (f: ReturnType<typeof fieldsFor>) => void (f.codeHash = keccak256('0x99')), 'WrongCodeHash'],
    ['another chain', (f: ReturnType<typeof fieldsFor>) => void (f.chainId = 1n), 'WrongChain'],
    ['another verifier', (f: ReturnType<typeof fieldsFor>) => void (f.verifier = inbox), 'WrongVerifier'],
  ])('a correctly signed result for %s is rejected', async (_, change, error) => {
    expect(await revertName(simulateFulfil(ev.requestId, variant(change)))).toBe(error)
  })
  test('output that does not hash to outputHash → OutputMismatch', async () => {
    const a = variant(() => {})
    expect(await revertName(simulateFulfil(ev.requestId, { ...a, output: '0x0b0b' }))).toBe('OutputMismatch')
  })
  test('t-1 shares, tampered fields → InvalidSignature (from the verifier)', async () => {
    const good = variant(() => {})
    const tooFew = attest(net, fieldsFor({ verifier, input: ev.input, output: '0x0b0a', seq: ++seq }), '0x0b0a', [1, 2, 3])
    expect(await revertName(simulateFulfil(ev.requestId, tooFew))).toBeUndefined() // any 3 of 4 are enough
    const { signature } = attest(net, fieldsFor({ verifier, input: ev.input, output: '0x0b0a', seq: 999n }), '0x0b0a')
    expect(await revertName(simulateFulfil(ev.requestId, { ...good, signature }))).toBe('InvalidSignature')
  })
  test('unknown request, unknown function, oversized callback gas', async () => {
    expect(await revertName(simulateFulfil(10_000n, execute('0x00')))).toBe('UnknownRequest')
    expect(
      await revertName(clients.public.simulateContract({ address: inbox, abi: NexusInbox.abi, functionName: 'request', args: [keccak256('0x'), '0x', 1n] })),
    ).toBe('UnknownFunction')
    expect(
      await revertName(clients.public.simulateContract({ address: inbox, abi: NexusInbox.abi, functionName: 'request', args: [functionId, '0x', 5_000_001n] })),
    ).toBe('CallbackGasTooHigh')
  })
})

describe('NexusInbox and protocol v2 (the function id in the digest)', () => {
  test('an unbound function takes v2 and still v1 results; a v2 result with its function id changed is InvalidSignature', async () => {
    const consumer = (await deployArtifact(clients, TestConsumer, [inbox])).address
    const ev = await ask(consumer, TestConsumer.abi, '0x0c0d')
    const v2 = execute(ev.input)
    const { result, output, signature } = toFulfilArgs(v2)
    expect(result.functionIdHash).toBe(keccak256(toHex('reverse')))
    const asOther = { ...result, functionIdHash: keccak256(toHex('attacker')) }
    expect(
      await revertName(
        clients.public.simulateContract({
          account: clients.wallet.account,
          address: inbox,
          abi: NexusInbox.abi,
          functionName: 'fulfil',
          args: [ev.requestId, asOther, output, signature],
        }),
      ),
    ).toBe('InvalidSignature')
    const v1 = execute(ev.input, 0, null)
    expect(v1.protocol).toBe('nexus.result.v1')
    expect(toFulfilArgs(v1).result.functionIdHash).toBe(`0x${'00'.repeat(32)}`)
    const receipt = await send(fulfil(ev.requestId, v1))
    expect(parseEventLogs({ abi: NexusInbox.abi, eventName: 'Fulfilled', logs: receipt.logs })[0]?.args.resultDigest).toBe(v1.digest)
    const ev2 = await ask(consumer, TestConsumer.abi, '0x0c0e')
    await send(fulfil(ev2.requestId, execute(ev2.input)))
    expect(await clients.public.readContract({ address: consumer, abi: TestConsumer.abi, functionName: 'calls' })).toBe(2n)
  })

  test('a function bound to one gateway function: a correctly signed result of another function with the same code is WrongFunction, so is a v1 result', async () => {
    const bound = await registerFunction(clients, { inbox, mode: FunctionMode.Bls, codeHash: CODE_HASH, nexusFunctionId: 'reverse' })
    expect(bound).not.toBe(functionId) // its own content address
    expect(await registerFunction(clients, { inbox, mode: FunctionMode.Bls, codeHash: CODE_HASH, nexusFunctionId: 'reverse' })).toBe(bound) // idempotent
    const consumer = (await deployArtifact(clients, TestConsumer, [inbox])).address
    const receipt = await send(
      clients.wallet.writeContract({ address: consumer, abi: TestConsumer.abi, functionName: 'ask', args: [bound, '0x0e0f', 100_000n] }),
    )
    const [ev] = parseEventLogs({ abi: NexusInbox.abi, eventName: 'Requested', logs: receipt.logs })
    // The event tells the relay which gateway function must answer.
    expect(ev!.args.nexusFunctionIdHash).toBe(keccak256(toHex('reverse')))
    const other = execute(ev!.args.input, 0, 'attacker')
    expect(await verifyResult(other, net.network)).toMatchObject({ ok: true }) // validly signed, just not this function's
    expect(await revertName(simulateFulfil(ev!.args.requestId, other))).toBe('WrongFunction')
    expect(await revertName(simulateFulfil(ev!.args.requestId, execute(ev!.args.input, 0, null)))).toBe('WrongFunction')
    await send(fulfil(ev!.args.requestId, execute(ev!.args.input)))
    expect(await clients.public.readContract({ address: consumer, abi: TestConsumer.abi, functionName: 'calls' })).toBe(1n)
    // An unbound registration's event says "any function".
    const unbound = await ask(consumer, TestConsumer.abi, '0x01')
    expect(unbound.nexusFunctionIdHash).toBe(`0x${'00'.repeat(32)}`)
    expect(
      await revertName(
        clients.public.simulateContract({
          address: inbox,
          abi: NexusInbox.abi,
          functionName: 'registerBoundFunction',
          args: [CODE_HASH, `0x${'00'.repeat(32)}`],
        }),
      ),
    ).toBe('InvalidFunction')
  })
})
