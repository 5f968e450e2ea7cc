// Groth16 routing through the inbox: a zk function (the circuits package's poseidon-preimage, real
// snarkjs setup and proof) registered in Groth16 mode behind NexusGroth16Adapter; fulfil with a
// proof instead of a BLS attestation. Tampered proofs and outputs are rejected.
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { encodeAbiParameters, keccak256, parseEventLogs, type Address, type Hex } from 'viem'
import { startAnvil, type Anvil } from '../src/anvil.ts'
import { createClients, deployArtifact, deployNexus, FunctionMode, registerFunction, type Clients } from '../src/deploy.ts'
import * as NexusInbox from '../generated/NexusInbox.ts'
import * as NexusGroth16Adapter from '../generated/NexusGroth16Adapter.ts'
import * as TestConsumer from '../generated/TestConsumer.ts'
import { buildCircuit, buildGroth16Verifier, builtinCircuits, toSolidityProofArgs, type BuiltCircuit } from '@nexus/circuits'
import { repoRoot } from '../src/build.ts'
import { revertName } from '@nexus/testkit/contracts'

let anvil: Anvil
let clients: Clients
let inbox: Address
let circuit: BuiltCircuit
let functionId: Hex
let consumer: Address
const uints = (v: readonly bigint[]) => encodeAbiParameters([{ type: 'uint256[]' }], [v])

beforeAll(async () => {
  // Same content-hashed cache as the circuits tests, so the setup is reused when present.
  circuit = await buildCircuit({ circuit: builtinCircuits['poseidon-preimage'], cacheDir: join(repoRoot, '.nexus', 'test-circuits') })
  anvil = await startAnvil()
  clients = createClients(anvil.rpcUrl)
  ;({ inbox } = await deployNexus(clients, { groupPublicKey: (await import('@nexus/testkit/contracts')).vectors.network.groupPublicKey }))
  const groth16 = await deployArtifact(clients, await buildGroth16Verifier(circuit))
  const adapter = await deployArtifact(clients, NexusGroth16Adapter, [groth16.address, 1n, 0n])
  functionId = await registerFunction(clients, { inbox, mode: FunctionMode.Groth16, codeHash: circuit.verificationKeyHash, zkVerifier: adapter.address })
  consumer = (await deployArtifact(clients, TestConsumer, [inbox])).address
})
afterAll(async () => {
  await anvil?.stop()
})

test('a zk request is fulfilled with a Groth16 proof, not a signature', async () => {
  const input = uints([]) // poseidon-preimage has no public inputs; the preimage stays with the prover
  const asked = await clients.public.waitForTransactionReceipt({
    hash: await clients.wallet.writeContract({ address: consumer, abi: TestConsumer.abi, functionName: 'ask', args: [functionId, input, 500_000n] }),
  })
  const [ev] = parseEventLogs({ abi: NexusInbox.abi, eventName: 'Requested', logs: asked.logs })
  expect(ev?.args.mode).toBe(FunctionMode.Groth16)
  expect(ev?.args.codeHash).toBe(circuit.verificationKeyHash)

  const snarkjs = (await import('snarkjs')) as unknown as {
    groth16: { fullProve(i: object, wasm: string, zkey: string): Promise<{ proof: Parameters<typeof toSolidityProofArgs>[0]; publicSignals: string[] }> }
  }
  const { proof, publicSignals } = await snarkjs.groth16.fullProve({ preimage: '42', salt: '7' }, circuit.wasmPath, circuit.zkeyPath)
  const [a, b, c] = toSolidityProofArgs(proof, publicSignals)
  const proofBytes = encodeAbiParameters([{ type: 'uint256[2]' }, { type: 'uint256[2][2]' }, { type: 'uint256[2]' }], [a, b, c])
  const output = uints(publicSignals.map(BigInt))
  const zero = `0x${'00'.repeat(32)}` as Hex
  const result = (out: Hex) => ({
    chainId: 31337n,
    verifier: inbox,
    functionIdHash: zero,
    codeHash: circuit.verificationKeyHash,
    seq: 0n,
    inputHash: ev!.args.inputHash,
    status: 0,
    outputHash: keccak256(out),
    stateRootBefore: zero,
    stateRootAfter: zero,
    fuelUsed: 0n,
  })
  const attestation = (p: Hex, i: Hex = input) => encodeAbiParameters([{ type: 'bytes' }, { type: 'bytes' }], [i, p])
  const simulate = (out: Hex, att: Hex) =>
    clients.public.simulateContract({
      account: clients.wallet.account,
      address: inbox,
      abi: NexusInbox.abi,
      functionName: 'fulfil',
      args: [ev!.args.requestId, result(out), out, att],
    })

  // A wrong output (another hash) or a tampered proof is refused.
  const wrongOutput = uints([BigInt(publicSignals[0]!) + 1n])
  expect(await revertName(simulate(wrongOutput, attestation(proofBytes)))).toBe('InvalidProof')
  const tampered = `${proofBytes.slice(0, -1)}${proofBytes.endsWith('0') ? '1' : '0'}` as Hex
  expect(await revertName(simulate(output, attestation(tampered)))).toBe('InvalidProof')
  expect(await revertName(simulate(output, attestation(proofBytes, uints([1n]))))).toBe('WrongInput')

  const hash = await clients.wallet.writeContract({
    address: inbox,
    abi: NexusInbox.abi,
    functionName: 'fulfil',
    args: [ev!.args.requestId, result(output), output, attestation(proofBytes)],
  })
  const receipt = await clients.public.waitForTransactionReceipt({ hash })
  expect(receipt.status).toBe('success')
  const [done] = parseEventLogs({ abi: NexusInbox.abi, eventName: 'Fulfilled', logs: receipt.logs })
  expect(done?.args).toMatchObject({ requestId: ev!.args.requestId, callbackOk: true, output })
  expect(await clients.public.readContract({ address: consumer, abi: TestConsumer.abi, functionName: 'lastOutput' })).toBe(output)
  expect(await revertName(simulate(output, attestation(proofBytes)))).toBe('AlreadyFulfilled')
})
