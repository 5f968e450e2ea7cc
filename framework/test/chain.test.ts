// ctx.chain end to end: a built handler reads a real anvil chain through a real replica, and every
// read is pinned to the trigger's block (a balance that changed later is not seen).
import { afterAll, beforeAll, expect, test } from 'vitest'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseEther, zeroAddress, type Hex } from 'viem'
import { startAnvil, type Anvil } from '@nexus/contracts'
import { createClients } from '@nexus/contracts'
import { createReplica, type Replica } from '@nexus/runtime'
import { buildProject, type BuiltFunction } from '../src/build/index.ts'
import { encodeTriggerPayload } from '@nexus/protocol'
import { answerAddress, who } from './fixtures/chain/handlers/reads.ts'

const config = fileURLToPath(new URL('./fixtures/chain/nexus.config.ts', import.meta.url))
// Init code that deploys a 10-byte runtime answering every call with uint256 42.
const answerInitCode: Hex = '0x600a600c600039600a6000f3602a60005260206000f3'

let anvil: Anvil
let replica: Replica
let fn: BuiltFunction
let seq = 0

beforeAll(async () => {
  anvil = await startAnvil()
  const out = await mkdtemp(join(tmpdir(), 'nexus-chain-build-'))
  fn = (await buildProject(config, { out })).functions[0]!
  // Limits from the config land in the manifest (the replica enforces them).
  expect(fn.manifest!.limits.fuel).toBe(20_000_000)
  replica = await createReplica({
    index: 1,
    cacheDir: join(out, 'cache'),
    chainId: 31337n,
    verifier: zeroAddress,
    requireVersions: false,
    rpc: { '31337': anvil.rpcUrl },
  })
  await replica.deploy({ component: fn.component!, manifest: fn.manifest! })
})
afterAll(async () => {
  await replica?.close()
  await anvil?.stop()
})

async function atBlock(number: bigint) {
  const { public: client } = createClients(anvil.rpcUrl)
  const block = await client.getBlock({ blockNumber: number })
  seq += 1
  const payload = encodeTriggerPayload({
    kind: 'block',
    chainId: '31337',
    number: String(number),
    hash: block.hash,
    parentHash: block.parentHash,
    timestamp: String(block.timestamp),
  })
  const r = await replica.execute({
    functionId: fn.id,
    codeHash: fn.manifest!.codeHash as Hex,
    seq: BigInt(seq),
    input: payload,
    trigger: 'block',
    timestampMs: block.timestamp * 1000n,
    chainId: 31337n,
    blockNumber: number,
  })
  return { status: r.fields.status, output: new TextDecoder().decode(r.output) }
}

test('reads are pinned to the trigger block; readContract decodes with the ABI; a bad call is a handler-visible error', async () => {
  const clients = createClients(anvil.rpcUrl)
  const deploy = await clients.wallet.sendTransaction({ data: answerInitCode })
  const deployed = await clients.public.waitForTransactionReceipt({ hash: deploy })
  expect(deployed.contractAddress?.toLowerCase()).toBe(answerAddress.toLowerCase())
  const pay = await clients.wallet.sendTransaction({ to: who, value: parseEther('1') })
  const paid = (await clients.public.waitForTransactionReceipt({ hash: pay })).blockNumber

  const before = await atBlock(paid - 1n)
  expect(before.status).toBe(0)
  expect(JSON.parse(before.output)).toEqual({ block: String(paid - 1n), balance: '0', answer: '42', badCall: expect.stringContaining('not an address') })
  const after = await atBlock(paid)
  expect(JSON.parse(after.output)).toMatchObject({ block: String(paid), balance: parseEther('1').toString(), answer: '42' })
  // Before the contract existed, the call returns no data and readContract fails the handler.
  const beforeDeploy = await atBlock(deployed.blockNumber - 1n)
  expect(beforeDeploy.status).toBe(1)
  expect(beforeDeploy.output).toContain('zero data')
})
