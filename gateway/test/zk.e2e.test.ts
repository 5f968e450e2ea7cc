// Nexus Zero through the gateway, end to end over real processes and sockets: HTTP request → the
// handler file's `inputs` mapping in the runtime sandbox → one prover (a pool whose first prover
// returns wrong proofs, so fallback is exercised on every job it takes) → verified proof served →
// verified off-chain (verifyZkResult, verifyResult, `nexus verify`) and on-chain through
// NexusInbox.fulfil on anvil with the consumer callback receiving it. Tampered and foreign proofs
// are rejected in both places; bad inputs are clear error results.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { encodeAbiParameters, parseEventLogs, type Address, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { computeZkDigest, verifyZkResult, type ZkErrorResult, type ZkResult } from '@nexus/protocol/zk'
import { verifyResult } from '@nexus/protocol/attest'
import {
  buildCircuit,
  buildGroth16Verifier,
  builtinCircuits,
  createProverPool,
  encodeForInbox,
  toZkFulfilArgs,
  type BuiltCircuit,
  type ProverPool,
} from '@nexus/circuits'
import { merklePath, poseidon } from '@nexus/testkit/poseidon'
import { startAnvil, type Anvil } from '@nexus/contracts'
import { createClients, deployArtifact, deployNexus, FunctionMode, registerFunction, type Clients } from '@nexus/contracts'
import * as NexusInbox from '@nexus/contracts/generated/NexusInbox'
import * as NexusGroth16Adapter from '@nexus/contracts/generated/NexusGroth16Adapter'
import * as TestConsumer from '@nexus/contracts/generated/TestConsumer'
import { revertName } from '@nexus/testkit/contracts'
import { ensureKeys, repoRoot } from '@nexus/cli/dev'
import { createGateway, type Gateway } from '../src/index.ts'
import { createZkService, type ZkService } from '../src/zk/index.ts'

const handlerPath = join(repoRoot, 'gateway/test/zk-handler.ts')
// Persistent, content-hashed caches: reruns reuse the circuits' setup and the guest component.
const circuitCache = join(repoRoot, '.nexus', 'test-circuits')
const zkCache = join(repoRoot, '.nexus', 'test-gateway-zk')

let tmp: string
let circuits: Record<'merkle3' | 'poseidon-preimage', BuiltCircuit>
let pool: ProverPool
let zk: ZkService
let gateway: Gateway
let baseUrl: string
let anvil: Anvil
let clients: Clients
let inbox: Address
let consumer: Address
let functionId: Hex

const leaves = [11n, 22n, 33n, 44n, 55n, 66n, 77n, 88n].map((s) => poseidon([s]))
const tree = merklePath(leaves, 5)
const memberRequest = { secret: '66', path: tree.pathElements.map(String), index: 5, root: tree.root.toString(), scope: '7' }
/** The request's public inputs as the inbox sees them (merkle3: root, scope). */
const memberInput = encodeAbiParameters([{ type: 'uint256[]' }], [[tree.root, 7n]])

const post = (name: string, body: unknown, init: RequestInit = {}) =>
  fetch(`${baseUrl}/v1/zk/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  })

/** A consumer asks the inbox for `functionId(input)`; returns the request id. */
async function ask(input: Hex): Promise<bigint> {
  const hash = await clients.wallet.writeContract({ address: consumer, abi: TestConsumer.abi, functionName: 'ask', args: [functionId, input, 300_000n] })
  const [ev] = parseEventLogs({ abi: NexusInbox.abi, eventName: 'Requested', logs: (await clients.public.waitForTransactionReceipt({ hash })).logs })
  return ev!.args.requestId
}

const simulateFulfil = (args: ReturnType<typeof toZkFulfilArgs>) =>
  clients.public.simulateContract({ account: clients.wallet.account, address: inbox, abi: NexusInbox.abi, functionName: 'fulfil', args: args as never })

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'nexus-gw-zk-'))
  circuits = {
    merkle3: await buildCircuit({ circuit: builtinCircuits.merkle3, cacheDir: circuitCache }),
    'poseidon-preimage': await buildCircuit({ circuit: builtinCircuits['poseidon-preimage'], cacheDir: circuitCache }),
  }
  // Prover 0 always returns a proof that does not verify: whatever it takes must fall back to prover 1.
  pool = createProverPool({ size: 2, timeoutMs: 120_000, faults: ['wrong-proof', undefined] })
  // A 32 MiB cap: fuel prices every page grown (docs/runtime.md), so 5M fuel reaches a 32 MiB cap
  // but not the default 128 MiB one, and `allocates` must end on the cap, not on fuel.
  zk = await createZkService({ handlers: [handlerPath], circuits, cacheDir: zkCache, pool, limits: { fuel: 5_000_000, memoryPages: 512 } })
  const { network } = await ensureKeys(join(tmp, 'keys'), { t: 1, n: 1 })
  // No BLS function is invoked here: the replica URL is never called.
  gateway = await createGateway({
    replicas: ['http://127.0.0.1:9'],
    gatewayKey: new TextEncoder().encode('zk-test-gateway-key-unused'),
    network,
    apiKeys: ['k'],
    zk,
  })
  baseUrl = `http://127.0.0.1:${await gateway.listen(0)}`

  anvil = await startAnvil()
  clients = createClients(anvil.rpcUrl)
  ;({ inbox } = await deployNexus(clients, { groupPublicKey: network.groupPublicKey as Hex }))
  const groth16 = await deployArtifact(clients, await buildGroth16Verifier(circuits.merkle3))
  const m = circuits.merkle3
  const adapter = await deployArtifact(clients, NexusGroth16Adapter, [groth16.address, BigInt(m.nOutputs), BigInt(m.nPublic - m.nOutputs)])
  functionId = await registerFunction(clients, { inbox, mode: FunctionMode.Groth16, codeHash: m.verificationKeyHash, zkVerifier: adapter.address })
  consumer = (await deployArtifact(clients, TestConsumer, [inbox])).address
}, 600_000) // a cold cache builds two circuits and one component; generous under full-suite load

afterAll(async () => {
  await gateway?.close()
  await zk?.close()
  await pool?.close()
  await anvil?.stop()
  if (tmp) await rm(tmp, { recursive: true, force: true })
})

describe('zk functions over the gateway', () => {
  let result: ZkResult<{ nullifier: string; root: string; scope: string }>
  let preimageResult: ZkResult

  beforeAll(async () => {
    const res = await post('member', memberRequest)
    expect(res.status).toBe(200)
    result = (await res.json()) as typeof result
    const pre = await post('preimage', { preimage: '5', salt: '9' })
    expect(pre.status).toBe(200)
    preimageResult = (await pre.json()) as ZkResult
  })

  test('lists the served functions with their circuit and key hash', async () => {
    const list = (await (await fetch(`${baseUrl}/v1/zk`)).json()) as { items: { name: string; circuitId: string; verificationKeyHash: string }[] }
    expect(list.items.map((i) => i.name).sort()).toEqual(['allocates', 'brokenOutput', 'member', 'preimage', 'spins', 'stamped', 'throws'])
    // The declarations were read from the guest component: the handler file never ran in this process.
    expect((globalThis as { nexusZkFixtureLoaded?: boolean }).nexusZkFixtureLoaded).toBeUndefined()
    const one = (await (await fetch(`${baseUrl}/v1/zk/member`)).json()) as { circuitId: string; verificationKeyHash: string; verificationKey: unknown }
    expect(one).toMatchObject({ circuitId: 'merkle3', verificationKeyHash: circuits.merkle3.verificationKeyHash })
    expect(one.verificationKey).toEqual(circuits.merkle3.verificationKey)
  })

  test('the result carries { proof, publicSignals, circuitId, verificationKeyHash } and verifies off-chain', async () => {
    expect(result).toMatchObject({ protocol: 'nexus.zk.v1', kind: 'zk', circuitId: 'merkle3', verificationKeyHash: circuits.merkle3.verificationKeyHash })
    expect(result.proof.protocol).toBe('groth16')
    expect(result.publicSignals).toEqual([poseidon([66n, 7n]).toString(), tree.root.toString(), '7'])
    expect(result.output.scope).toBe('7')
    const pinned = { verificationKey: circuits.merkle3.verificationKey, circuitId: 'merkle3', verificationKeyHash: circuits.merkle3.verificationKeyHash }
    expect(await verifyZkResult(result, pinned)).toEqual({ ok: true, digest: computeZkDigest(result) })
    expect(await verifyResult(result, {} as never)).toEqual({ ok: true, digest: computeZkDigest(result) })
  })

  test('`nexus verify` accepts it and rejects a tampered copy', async () => {
    const good = join(tmp, 'result.json')
    const bad = join(tmp, 'tampered.json')
    await writeFile(good, JSON.stringify(result))
    await writeFile(bad, JSON.stringify({ ...result, publicSignals: [result.publicSignals[0], result.publicSignals[1], '8'] }))
    const cli = (file: string) =>
      promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', join(repoRoot, 'cli/src/main.ts'), 'verify', file, '--network', join(tmp, 'keys', 'network.json')],
        {
          cwd: repoRoot,
          env: { ...process.env, NEXUS_ZK_KEYS: join(circuits.merkle3.dir, '..', 'vk') },
        },
      ).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      )
    const ok = await cli(good)
    expect(ok).toEqual({ code: 0, out: `ok ${computeZkDigest(result)}\n` })
    const no = await cli(bad)
    expect(no.code).toBe(1)
    expect(no.out).toMatch(/NEXUS_ZK_INVALID_PROOF|does not prove|invalid/)
  })

  test('the proof is accepted on-chain by NexusInbox.fulfil and the consumer receives the output', async () => {
    expect(encodeForInbox(result, circuits.merkle3.nOutputs).input).toBe(memberInput)
    const requestId = await ask(memberInput)
    const args = toZkFulfilArgs(requestId, result, circuits.merkle3.nOutputs)
    const hash = await clients.wallet.writeContract({ address: inbox, abi: NexusInbox.abi, functionName: 'fulfil', args: args as never })
    const receipt = await clients.public.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    const [done] = parseEventLogs({ abi: NexusInbox.abi, eventName: 'Fulfilled', logs: receipt.logs })
    const nullifierOnly = encodeAbiParameters([{ type: 'uint256[]' }], [[BigInt(result.publicSignals[0]!)]])
    expect(done?.args).toMatchObject({ requestId, callbackOk: true, output: nullifierOnly })
    expect(await clients.public.readContract({ address: consumer, abi: TestConsumer.abi, functionName: 'lastOutput' })).toBe(nullifierOnly)
    expect(await revertName(simulateFulfil(args))).toBe('AlreadyFulfilled')
  })

  test('a tampered public signal is rejected off-chain and on-chain', async () => {
    const nullifier = (BigInt(result.publicSignals[0]!) + 1n).toString()
    const tampered = { ...result, publicSignals: [nullifier, result.publicSignals[1]!, result.publicSignals[2]!] }
    const off = await verifyZkResult(tampered, { verificationKey: circuits.merkle3.verificationKey })
    expect(!off.ok && off.error.code).toBe('NEXUS_ZK_INVALID_PROOF')
    const requestId = await ask(memberInput)
    expect(await revertName(simulateFulfil(toZkFulfilArgs(requestId, tampered, 1)))).toBe('InvalidProof')
    // A tampered public input (scope) no longer matches what the consumer asked for.
    const otherScope = { ...result, publicSignals: [result.publicSignals[0]!, result.publicSignals[1]!, '8'] }
    expect(await revertName(simulateFulfil(toZkFulfilArgs(requestId, otherScope, 1)))).toBe('WrongInput')
  })

  test('a proof for another circuit is rejected off-chain and on-chain', async () => {
    expect(preimageResult).toMatchObject({ circuitId: 'poseidon-preimage', publicSignals: [poseidon([5n, 9n]).toString()] })
    expect((await verifyZkResult(preimageResult, { verificationKey: circuits['poseidon-preimage'].verificationKey })).ok).toBe(true)
    // Pinned to the membership circuit: refused by id, and by pairing when relabelled.
    const pinned = await verifyZkResult(preimageResult, { circuitId: 'merkle3' })
    expect(!pinned.ok && pinned.error.code).toBe('NEXUS_ZK_CIRCUIT_MISMATCH')
    const relabelled = { ...preimageResult, circuitId: 'merkle3', verificationKeyHash: circuits.merkle3.verificationKeyHash }
    const off = await verifyZkResult(relabelled, { verificationKey: circuits.merkle3.verificationKey })
    expect(!off.ok && off.error.code).toBe('NEXUS_ZK_INVALID_PROOF')
    // On-chain: the preimage proof with the member request's public inputs fails the merkle3 verifier.
    const requestId = await ask(memberInput)
    const foreign = {
      ...preimageResult,
      publicSignals: [preimageResult.publicSignals[0]!, tree.root.toString(), '7'],
      verificationKeyHash: circuits.merkle3.verificationKeyHash,
    }
    expect(await revertName(simulateFulfil(toZkFulfilArgs(requestId, foreign, 1)))).toBe('InvalidProof')
  })

  test('a broken output function is a 500 error result naming the author bug', async () => {
    const res = await post('brokenOutput', { preimage: '3' })
    expect(res.status).toBe(500)
    const body = (await res.json()) as ZkErrorResult
    expect(body).toMatchObject({ status: 'error', circuitId: 'poseidon-preimage', error: { code: 'NEXUS_ZK_OUTPUT_FAILED' } })
    expect(body.error.message).toContain('cannot decode')
  })

  test("the input mapping runs in the deterministic runtime (clock = the invocation's, 0)", async () => {
    const res = await post('stamped', { preimage: '5' })
    expect(res.status).toBe(200)
    expect(((await res.json()) as ZkResult).publicSignals).toEqual([poseidon([5n, 0n]).toString()])
  })

  test('invalid circuit inputs and failing mappings are clear error results, not crashes', async () => {
    const expectInvalid = async (res: Response, message: string | RegExp) => {
      expect(res.status).toBe(400)
      const body = (await res.json()) as ZkErrorResult
      expect(body).toMatchObject({ protocol: 'nexus.zk.v1', kind: 'zk', status: 'error', error: { code: 'NEXUS_ZK_INVALID_INPUT' } })
      expect(body.error.message).toMatch(message)
    }
    await expectInvalid(await post('member', { ...memberRequest, path: ['1', '2'] }), 'pathElements: expected 3 elements, got 2')
    await expectInvalid(await post('preimage', { preimage: 'hello' }), 'preimage: "hello" is not a decimal or 0x-hex integer')
    await expectInvalid(await post('throws', {}), /could not be mapped[\s\S]*boom: no preimage today/)
    await expectInvalid(await post('spins', { n: 1 }), 'ran out of fuel (limit 5000000)')
    await expectInvalid(await post('allocates', { mib: 16 }), /out of memory/) // the sandbox's memory cap (32 MiB here)
    // Well-typed but not a member of the tree: the witness calculator refuses; not retried.
    await expectInvalid(await post('member', { ...memberRequest, secret: '67' }), 'The inputs do not satisfy circuit "merkle3"')

    const malformed = await post('member', '{"secret":')
    expect(malformed.status).toBe(400)
    expect(await malformed.json()).toMatchObject({ error: { code: 'MALFORMED_JSON' } })
    const unknown = await post('nope', {})
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ error: { code: 'UNKNOWN_FUNCTION' } })

    // The gateway, sandbox and provers are still healthy afterwards.
    const again = await post('preimage', { preimage: '1' })
    expect(again.status).toBe(200)
    expect(((await again.json()) as ZkResult).publicSignals).toEqual([poseidon([1n, 0n]).toString()])

    // Last: the server answers before reading the whole body and drops that connection.
    const huge = await post('preimage', { preimage: '1', pad: 'x'.repeat(1 << 20) })
    expect(huge.status).toBe(413)
    expect(await huge.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } })
  })

  test('an unchanged handler file reuses its built input component', async () => {
    const again = await createZkService({ handlers: [handlerPath], circuits, cacheDir: zkCache, pool })
    try {
      expect(again.guests).toEqual([{ handlerPath, codeHash: zk.functions.get('member')!.mappingCodeHash, cached: true }])
    } finally {
      await again.close()
    }
  })
})
