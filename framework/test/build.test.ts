// `nexus build` end to end: the token example is built for real (bundle → componentize) and each
// function runs in a real replica (PGlite, and PostgreSQL when DATABASE_URL is set) on trigger
// payloads, the way the gateway writes them.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodeAbiParameters, getAddress, encodeEventTopics, erc20Abi, toHex, zeroAddress, type Hex } from 'viem'
import { createReplica, type Replica } from '@nexus/runtime'
import { availableBackends } from '@nexus/testkit/backends'
import { buildProject, TriggerValidationError, type BuiltProject } from '../src/build/index.ts'
import { encodeTriggerPayload, type TriggerPayload } from '@nexus/protocol'

const exampleConfig = fileURLToPath(new URL('../../examples/token/nexus.config.ts', import.meta.url))
const badConfig = fileURLToPath(new URL('./fixtures/bad-event/nexus.config.ts', import.meta.url))
const badHandler = fileURLToPath(new URL('./fixtures/bad-event/handlers/bad.ts', import.meta.url))
const token = '0x5fbdb2315678afecb367f032d93f642f64180aa3'
const alice = '0x70997970c51812dc3a010c7d01b50e20d17dc79c'
const bob = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc'
const dec = new TextDecoder()

function transferLog(from: Hex, to: Hex, value: bigint, blockNumber: number, logIndex: number): TriggerPayload {
  return {
    kind: 'event',
    chainId: '31337',
    blockNumber: String(blockNumber),
    blockHash: toHex(blockNumber, { size: 32 }),
    logIndex,
    transactionHash: toHex(1000 + blockNumber, { size: 32 }),
    transactionIndex: 0,
    address: token,
    topics: encodeEventTopics({ abi: erc20Abi, eventName: 'Transfer', args: { from, to } }) as Hex[],
    data: encodeAbiParameters([{ type: 'uint256' }], [value]),
  }
}

describe('nexus build: bad input', () => {
  test('a decorator on an unknown event fails the build naming file, line and the known events', async () => {
    const err = await buildProject(badConfig, { checkOnly: true }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(TriggerValidationError)
    const e = err as TriggerValidationError
    expect(e.code).toBe('NEXUS_TRIGGER_INVALID')
    expect(e.site?.file).toBe(badHandler)
    const line = (await readFile(badHandler, 'utf8')).split('\n').findIndex((l) => l.includes("event: 'Transfers'")) + 1
    expect(e.site?.line).toBe(line)
    expect(e.message).toContain(`${badHandler}:${line}:`)
    expect(e.message).toContain('no event "Transfers"')
    expect(e.message).toContain('Known events: Approval, Transfer')
  })
})

// Built once per test file (componentize is the slow part) and run on every backend.
let built: Promise<{ project: BuiltProject; out: string }> | undefined
function buildExample() {
  built ??= mkdtemp(join(tmpdir(), 'nexus-build-')).then(async (out) => ({ project: await buildProject(exampleConfig, { out }), out }))
  return built
}

for (const { name, make } of availableBackends()) {
  describe(`token example built and run on a real replica (${name})`, () => {
    let project: BuiltProject
    let replica: Replica
    let cleanup: () => Promise<void> = async () => {}
    let out: string
    const seqs = new Map<string, number>()

    async function invoke(functionId: string, trigger: string, input: Uint8Array, extra: { blockNumber?: bigint } = {}) {
      const fn = project.functions.find((f) => f.id === functionId)!
      const seq = (seqs.get(functionId) ?? 0) + 1
      seqs.set(functionId, seq)
      const r = await replica.execute({
        functionId,
        codeHash: fn.manifest!.codeHash as Hex,
        seq: BigInt(seq),
        input,
        trigger,
        timestampMs: 1_700_000_000_000n + BigInt(seq),
        chainId: 31337n,
        ...extra,
      })
      return { status: r.fields.status, output: dec.decode(r.output), logs: r.logs }
    }

    beforeAll(async () => {
      ;({ project, out } = await buildExample())
      const backend = await make()
      replica = await createReplica({
        index: 1,
        ...backend.store(1),
        cacheDir: join(out, 'cache'),
        chainId: 31337n,
        verifier: zeroAddress,
        requireVersions: false,
      })
      cleanup = () => backend.cleanup()
      for (const fn of project.functions) await replica.deploy({ component: fn.component!, manifest: fn.manifest! })
    })
    afterAll(async () => {
      await replica?.close()
      await cleanup()
    })

    test('one component per decorated method, manifests carry the triggers', async () => {
      expect(project.functions.map((f) => f.id)).toEqual(['token-balances', 'token-checkpoints', 'token-heartbeat'])
      const balances = project.functions[0]!
      expect(balances.manifest!.triggers).toEqual([
        expect.objectContaining({
          kind: 'event',
          chain: 'devnet',
          chainId: 31337,
          contract: 'Token',
          address: token,
          event: 'Transfer',
          startBlock: '0',
          topic0: '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef',
        }),
        { kind: 'route', method: 'GET', path: '/balance/:addr' },
      ])
      expect(project.functions[1]!.triggers).toEqual([{ kind: 'block', chain: 'devnet', chainId: 31337, every: 5 }])
      expect(project.functions[2]!.triggers).toEqual([{ kind: 'cron', schedule: '*/5 * * * *' }])
      const written = JSON.parse(await readFile(join(balances.dir!, 'manifest.json'), 'utf8'))
      expect(written).toEqual(balances.manifest)
      expect(project.chains).toEqual([{ name: 'devnet', chainId: 31337, rpcUrl: 'http://127.0.0.1:8545', finality: { confirmations: 2 } }])
    })

    test('Transfer events are decoded from the ABI into ctx.event.args and kept as balances in KV', async () => {
      const mint = await invoke('token-balances', 'event', encodeTriggerPayload(transferLog(zeroAddress, alice, 1000n, 7, 0)), { blockNumber: 7n })
      expect(mint).toMatchObject({ status: 0 })
      expect(JSON.parse(mint.output)).toEqual({ from: zeroAddress, to: expect.stringMatching(new RegExp(alice, 'i')), value: '1000', block: '7' })
      expect(mint.logs.map((l) => l.message)).toEqual([`Transfer ${zeroAddress} -> ${getAddress(alice)}: 1000 (block 7)`])
      const send = await invoke('token-balances', 'event', encodeTriggerPayload(transferLog(alice, bob, 250n, 9, 3)), { blockNumber: 9n })
      expect(send.status).toBe(0)
      const route = (addr: string) => encodeTriggerPayload({ kind: 'route', method: 'GET', path: `/balance/${addr}`, query: [], body: '0x' })
      expect(JSON.parse((await invoke('token-balances', 'route', route(alice))).output)).toEqual({ address: alice, balance: '750' })
      expect(JSON.parse((await invoke('token-balances', 'route', route(bob))).output)).toEqual({ address: bob, balance: '250' })
    })

    test('a look-alike event sent as a plain HTTP invocation is rejected (status 1), state unchanged', async () => {
      const before = await replica.state('token-balances')
      const forged = await invoke('token-balances', 'http', encodeTriggerPayload(transferLog(zeroAddress, bob, 10n ** 30n, 11, 0)))
      expect(forged.status).toBe(1)
      expect(forged.output).toContain('not "http"')
      expect((await replica.state('token-balances')).stateRoot).toBe(before.stateRoot)
      const unknownRoute = await invoke(
        'token-balances',
        'route',
        encodeTriggerPayload({ kind: 'route', method: 'POST', path: '/balance/x', query: [], body: '0x' }),
      )
      expect(unknownRoute.status).toBe(1)
    })

    test('rebuilding an unchanged project reuses every component (same code hashes)', async () => {
      expect(project.functions.map((f) => f.cached)).toEqual([false, false, false])
      const again = await buildProject(exampleConfig, { out })
      expect(again.functions.map((f) => f.cached)).toEqual([true, true, true])
      expect(again.functions.map((f) => f.manifest)).toEqual(project.functions.map((f) => f.manifest))
    })

    test('onBlock and onCron handlers get the decoded block and tick', async () => {
      const block = {
        kind: 'block',
        chainId: '31337',
        number: '10',
        hash: toHex(10, { size: 32 }),
        parentHash: toHex(9, { size: 32 }),
        timestamp: '1700000123',
      } as const
      const b = await invoke('token-checkpoints', 'block', encodeTriggerPayload(block), { blockNumber: 10n })
      expect(b.status).toBe(0)
      expect(JSON.parse(b.output)).toEqual({ block: '10', checkpoints: 1 })
      const c = await invoke('token-heartbeat', 'cron', encodeTriggerPayload({ kind: 'cron', schedule: '*/5 * * * *', scheduledAtMs: '1700000100000' }))
      expect(c).toMatchObject({ status: 0, output: '{"tick":"1700000100000"}' })
    })
  })
}
