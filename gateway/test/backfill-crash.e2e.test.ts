// A batched backfill survives a gateway SIGKILL: a real gateway process (gateway/src/bin.ts
// --chains) follows anvil with an @onEvent function over more than a thousand Transfer logs spread
// over several cursor steps; it is killed once the first batch is attested and before the last,
// then a gateway restarts on the same state. In the end every log has exactly one invocation (seqs
// 1..N in chain order), every one attested in batches and verifiable.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { getAbiItem, toHex, type Address } from 'viem'
import { verifyResult } from '@nexus/protocol/attest'
import type { ChainSpec } from '@nexus/protocol'
import * as ExampleToken from '@nexus/contracts/generated/ExampleToken'
import { createClients, deployArtifact, startAnvil, type Anvil, type Clients } from '@nexus/contracts'
import { createDatabase } from '../src/database/index.ts'
import { createLog } from '../src/log/index.ts'
import {
  chainGatewayDatabase,
  deploy,
  invocationsOf,
  killProcess,
  startChainGateway,
  startChainStack,
  startGatewayProcess,
  until,
  transfersTo,
  triggerArtifact,
  type ChainStack,
} from './triggers.stack.ts'

const TEST_TIMEOUT = 900_000
/** Transfers per group; the groups are 600 blocks apart, so the backfill spans several cursor steps (at most 500 blocks each). */
const GROUP = 400
const GROUPS = 3
const COUNT = GROUP * GROUPS
const CONFIRMATIONS = 2
const transferAbi = getAbiItem({ abi: ExampleToken.abi, name: 'Transfer' })
const sink: Address = '0x000000000000000000000000000000000000c4a5'

let anvil: Anvil
let clients: Clients
let stack: ChainStack

beforeAll(async () => {
  anvil = await startAnvil({ args: ['--gas-limit', '100000000'] })
  clients = createClients(anvil.rpcUrl)
  stack = await startChainStack()
}, TEST_TIMEOUT)

afterAll(async () => {
  await Promise.all(stack?.replicas.map((r) => r.stop()) ?? [])
  await anvil?.stop()
}, TEST_TIMEOUT)

/** The gateway's counter `name` from /metrics (0 when absent). */
async function counter(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
  return line ? Number(line.split(' ').at(-1)) : 0
}

test(
  'a batched backfill killed mid-attestation and restarted: every log exactly once, attested in batches',
  async () => {
    const { address: token } = await deployArtifact(clients, ExampleToken)
    const send = async (functionName: 'mint' | 'transferMany', args: readonly [Address, bigint]) =>
      clients.public.waitForTransactionReceipt({ hash: await clients.wallet.writeContract({ address: token, abi: ExampleToken.abi, functionName, args }) })
    const start = (await clients.public.getBlockNumber({ cacheTime: 0 })) + 1n
    await send('mint', [clients.wallet.account.address, BigInt(COUNT)])
    for (let g = 0; g < GROUPS; g++) {
      await send('transferMany', [sink, BigInt(GROUP)])
      await clients.public.request({ method: 'anvil_mine', params: [toHex(600)] } as never)
    }
    const expected = (await clients.public.getLogs({ address: token, event: transferAbi, args: { to: sink }, fromBlock: start })).map(
      (l) => `event:31337:${l.blockHash}:${l.logIndex}`,
    )
    expect(expected).toHaveLength(COUNT)
    const chain: ChainSpec = { name: 'devnet', chainId: 31337, rpcUrl: anvil.rpcUrl, finality: { confirmations: CONFIRMATIONS }, pollingIntervalMs: 100 }
    const artifact = await triggerArtifact('backfill', [transfersTo(token, sink, start)])

    const first = await startGatewayProcess(stack, 'crash', [chain])
    try {
      expect((await deploy(first.url, artifact)).status).toBe(201)
      // Killed as soon as one batch is attested: the rest are appended or not, attested or not.
      await until('a first attested batch', async () => (await counter(first.url, 'nexus_batches_total')) >= 1, 600_000, 20)
    } finally {
      await killProcess(first.proc)
    }
    // What the killed gateway left behind: some, not all, attested.
    const database = await createDatabase(chainGatewayDatabase(stack, 'crash'))
    try {
      const left = await createLog(database).range('backfill', 0n, 100_000)
      const attestedBeforeKill = left.filter((r) => r.state === 'attested').length
      expect(attestedBeforeKill).toBeGreaterThan(0)
      expect(attestedBeforeKill).toBeLessThan(COUNT)
    } finally {
      await database.close()
    }

    const second = await startChainGateway(stack, { name: 'crash', chains: [chain] })
    try {
      const rows = await until(
        `${COUNT} attested invocations`,
        async () => {
          const all = await invocationsOf(second.gateway, 'backfill')
          return all.length >= COUNT && all.every((r) => r.state === 'attested') ? all : undefined
        },
        600_000,
        250,
      )
      // A few more polling rounds: nothing is delivered twice.
      const rounds = second.triggers.status()[0]!.rounds
      await until('3 more trigger rounds', () => second.triggers.status()[0]!.rounds >= rounds + 3)
      const all = await invocationsOf(second.gateway, 'backfill')
      expect(all).toHaveLength(COUNT)
      expect(all.map((r) => r.seq)).toEqual(Array.from({ length: COUNT }, (_, i) => BigInt(i + 1)))
      expect(all.map((r) => r.idempotencyKey)).toEqual(expected) // each once, in chain order
      // Attested in batches (one combined signature over a Merkle root), on both sides of the kill.
      const batched = rows.filter((r) => r.result?.batch !== undefined)
      expect(batched.length).toBeGreaterThan(COUNT / 2)
      expect(new Set(batched.map((r) => r.result!.batch!.root)).size).toBeGreaterThan(1)
      for (const r of rows) {
        const verified = await verifyResult(r.result, stack.network, { functionId: 'backfill' })
        expect(verified.ok, `seq ${r.seq}`).toBe(true)
      }
    } finally {
      await second.close()
    }
  },
  TEST_TIMEOUT,
)
