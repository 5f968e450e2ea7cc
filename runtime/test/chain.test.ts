// Chain reads from a handler (`nexus:function/chain`) on a real anvil: pinned to the invocation's
// block, reverts as deterministic handler errors, RPC failures as 503 with nothing recorded.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fileURLToPath } from 'node:url'
import { createServer } from 'node:net'
import { encodeFunctionData, type Address, type Hex } from 'viem'
import { startAnvil, type Anvil } from '@nexus/contracts'
import { createClients, deployArtifact, type Clients } from '@nexus/contracts'
import { buildHandler, createReplicaApp, type Artifact, type Replica } from '../src/index.ts'
import { ChainUnavailableError } from '../src/chain/errors.ts'
import { NOT_PINNED } from '../src/chain/requests.ts'
import { availableBackends } from '@nexus/testkit/backends'
import { replicaSuite } from './fixtures/replica-suite.ts'
import { compileChainTestToken } from './fixtures/chain-token.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()
const BOB: Address = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'

let anvil: Anvil
let clients: Clients
let artifact: Artifact
let token: Address
let deployer: Address
let abi: ReturnType<typeof compileChainTestToken>['abi']
/** Blocks around a transfer of 250 to BOB: before it, and the block that holds it. */
let before: bigint
let after: bigint
/** An RPC URL nobody listens on. */
let deadRpc: string

beforeAll(async () => {
  const [chain, built] = await Promise.all([
    startAnvil(),
    buildHandler(fileURLToPath(new URL('./fixtures/chain-handler.ts', import.meta.url)), { name: 'chain-reader' }),
  ])
  anvil = chain
  artifact = built
  clients = createClients(anvil.rpcUrl)
  deployer = clients.wallet.account.address
  const compiled = compileChainTestToken()
  abi = compiled.abi
  token = (await deployArtifact(clients, compiled, [1000n])).address
  before = await clients.public.getBlockNumber({ cacheTime: 0 })
  const hash = await clients.wallet.writeContract({ address: token, abi, functionName: 'transfer', args: [BOB, 250n] } as never)
  after = (await clients.public.waitForTransactionReceipt({ hash })).blockNumber
  deadRpc = await unusedUrl()
}, 120_000)

afterAll(async () => {
  await anvil?.stop()
})

async function unusedUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((r) => server.close(() => r()))
  return `http://127.0.0.1:${port}`
}

describe.each(availableBackends())('chain reads on $name', ({ make }) => {
  const suite = replicaSuite(make)
  const open = suite.open

  async function replica(i: number, rpc: Record<string, string>): Promise<Replica> {
    const r = await suite.replica(i, { rpc })
    await r.deploy(artifact)
    return r
  }

  let seq = 0n
  const invoke = (op: object, blockNumber?: bigint) => ({
    functionId: 'chain-reader',
    codeHash: artifact.manifest.codeHash as Hex,
    seq: ++seq,
    input: enc.encode(JSON.stringify(op)),
    // A chain-pinned invocation of a function without declared chain triggers: as the inbox relay
    // sends it (replicas refuse `event` for a manifest that declares none).
    trigger: blockNumber === undefined ? 'http' : 'inbox',
    timestampMs: 1_700_000_000_000n,
    ...(blockNumber === undefined ? {} : { chainId: 31337n, blockNumber }),
  })
  const outputOf = (r: { output: Uint8Array }) => dec.decode(r.output)

  test('balanceOf, balances and logs are pinned to the invocation block; two replicas agree byte for byte', async () => {
    const [r1, r2] = [await replica(1, { '31337': anvil.rpcUrl }), await replica(2, { '31337': anvil.rpcUrl })]
    const requests = [
      invoke({ op: 'balanceOf', token, owner: BOB }, before),
      invoke({ op: 'balanceOf', token, owner: BOB }, after),
      invoke({ op: 'balanceOf', token, owner: deployer }, after),
      invoke({ op: 'ethBalance', address: BOB }, after),
      invoke({ op: 'logs', filter: { address: token, fromBlock: '0' } }, after),
      invoke({ op: 'logs', filter: { address: token, fromBlock: '0', toBlock: (after + 1n).toString() } }, after),
    ]
    const results = []
    for (const req of requests) {
      const [a, b] = [await r1.execute(req), await r2.execute(req)]
      expect(b.digest).toBe(a.digest)
      expect(toHexString(b.output)).toBe(toHexString(a.output))
      results.push(a)
    }
    expect(results.slice(0, 3).map((r) => [r.fields.status, JSON.parse(outputOf(r)).result])).toEqual([
      [0, '0'],
      [0, '250'],
      [0, '750'],
    ])
    expect(results[3]!.fields.status, outputOf(results[3]!)).toBe(0)
    expect(BigInt(JSON.parse(outputOf(results[3]!)).result)).toBeGreaterThan(0n)
    const logs = JSON.parse(outputOf(results[4]!)).result as { blockNumber: string; topics: string[]; address: string }[]
    expect(logs.map((l) => l.blockNumber)).toEqual([before.toString(), after.toString()])
    expect(logs.every((l) => l.address === token.toLowerCase())).toBe(true)
    expect(results[5]!.fields.status).toBe(1)
    expect(outputOf(results[5]!)).toMatch(/after the invocation's block/)
    // Pinning: a later transfer does not change what an invocation at `after` reads.
    const hash = await clients.wallet.writeContract({ address: token, abi, functionName: 'transfer', args: [BOB, 1n] } as never)
    await clients.public.waitForTransactionReceipt({ hash })
    const again = invoke({ op: 'balanceOf', token, owner: BOB }, after)
    expect(JSON.parse(outputOf(await r1.execute(again))).result).toBe('250')
    expect(JSON.parse(outputOf(await r2.execute(again))).result).toBe('250')
  }, 120_000)

  test('a revert is a deterministic handler error; no pinned block is a handler error; fuel is charged', async () => {
    const r = open[0]!
    const revertingCall = encodeFunctionData({ abi, functionName: 'transfer', args: [BOB, 10n ** 30n] } as never)
    const reverted = await r.execute(invoke({ op: 'call', to: token, data: revertingCall }, after))
    expect(reverted.fields.status).toBe(1)
    // Error(string) selector 0x08c379a0 followed by the ABI-encoded "insufficient balance".
    expect(outputOf(reverted)).toMatch(/^execution reverted: 0x08c379a0/)
    const unpinned = await r.execute(invoke({ op: 'balanceOf', token, owner: BOB }))
    expect(unpinned.fields.status).toBe(1)
    expect(outputOf(unpinned)).toBe(NOT_PINNED)
    const caught = await r.execute(invoke({ op: 'swallow', token, owner: BOB }))
    expect(JSON.parse(outputOf(caught)).result).toBe(`caught: ${NOT_PINNED}`)
    const badArg = await r.execute(invoke({ op: 'call', to: 'not-an-address', data: '0x' }, after))
    expect(outputOf(badArg)).toBe('call: "to" is not an address')
    expect(reverted.fields.fuelUsed).toBeGreaterThan(0n)
  }, 60_000)

  test('an unreachable RPC records nothing and answers 503 CHAIN_UNAVAILABLE; a healthy replica later applies the same seq', async () => {
    const down = await replica(3, { '31337': deadRpc })
    const req = { ...invoke({ op: 'balanceOf', token, owner: BOB }, after), seq: 1n }
    await expect(down.execute(req)).rejects.toBeInstanceOf(ChainUnavailableError)
    expect((await down.state('chain-reader')).lastAppliedSeq).toBe(0n)
    const res = await createReplicaApp(down, { gatewayKey: suite.gatewayKey }).request(
      '/v1/execute',
      suite.signed(
        'POST',
        '/v1/execute',
        JSON.stringify({
          ...req,
          seq: '1',
          input: toHexString(req.input),
          timestampMs: req.timestampMs.toString(),
          chainId: '31337',
          blockNumber: after.toString(),
        }),
      ),
    )
    expect(res.status).toBe(503)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('CHAIN_UNAVAILABLE')
    // No RPC for the chain at all: also unavailable, not an attested error.
    const unconfigured = await replica(4, {})
    await expect(unconfigured.execute(req)).rejects.toBeInstanceOf(ChainUnavailableError)
    // The same store, reopened with a working RPC, applies seq 1 as if nothing had happened.
    await down.close()
    open.splice(open.indexOf(down), 1)
    const healed = await replica(3, { '31337': anvil.rpcUrl })
    const result = await healed.execute(req)
    expect(result.fields.seq).toBe(1n)
    expect(JSON.parse(outputOf(result)).result).toBe('250')
  }, 60_000)
})

function toHexString(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes).toString('hex')}`
}
