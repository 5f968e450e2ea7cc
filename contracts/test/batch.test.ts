// Batched attestation on-chain: one signed Merkle root (docs/protocol.md §4) stored by
// verifyBatchRoot, then 100 results checked against it by verifyInBatch, and fulfilInBatch.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { keccak256, parseEventLogs, toHex, type Address, type Hex } from 'viem'
import { startAnvil, type Anvil } from '../src/anvil.ts'
import { createClients, deployArtifact, deployNexus, FunctionMode, registerFunction, type Clients } from '../src/deploy.ts'
import { g1ToEip2537, toBatchProof, toContractResult } from '../src/encode.ts'
import * as NexusVerifier from '../generated/NexusVerifier.ts'
import * as NexusInbox from '../generated/NexusInbox.ts'
import * as NexusConsumerExample from '../generated/NexusConsumerExample.ts'
import {
  combineShares,
  createAttestedResult,
  merkleTree,
  resultDigest,
  signShare,
  verifyMerkleProof,
  verifyResult,
  type ResultFields,
} from '@nexus/protocol/attest'
import { CODE_HASH, fieldsFor, revertName, testNetwork } from '@nexus/testkit/contracts'

const net = testNetwork('batch-test')
let anvil: Anvil
let clients: Clients
let verifier: Address
let inbox: Address

beforeAll(async () => {
  anvil = await startAnvil()
  clients = createClients(anvil.rpcUrl)
  ;({ verifier, inbox } = await deployNexus(clients, { groupPublicKey: net.network.groupPublicKey }))
})
afterAll(async () => {
  await anvil?.stop()
})

/** What the gateway does for a batch: every replica signs the root, t shares are combined. */
function signRoot(root: Hex, signers = [2, 3, 4]): Hex {
  const shares = net.shares.filter((s) => signers.includes(s.index)).map((s) => signShare(root, s))
  return combineShares(root, shares, net.network).signature
}

async function storeRoot(root: Hex, signature: Hex) {
  const hash = await clients.wallet.writeContract({
    address: verifier,
    abi: NexusVerifier.abi,
    functionName: 'verifyBatchRoot',
    args: [root, g1ToEip2537(signature)],
  })
  return clients.public.waitForTransactionReceipt({ hash })
}

const verifyInBatch = (fields: ResultFields, proof: ReturnType<typeof toBatchProof>) =>
  clients.public.readContract({ address: verifier, abi: NexusVerifier.abi, functionName: 'verifyInBatch', args: [toContractResult(fields), proof] })

describe('batch of 100 results', () => {
  const batch: { fields: ResultFields; output: Hex }[] = []
  let tree: { root: Hex; proofs: Hex[][] }
  let signature: Hex

  beforeAll(async () => {
    for (let i = 0; i < 100; i++) {
      const output = toHex(`output ${i}`)
      // Replicas sign v2; a batch may still hold v1 digests (results attested before v2): mix both.
      batch.push({
        fields: fieldsFor({ verifier, input: toHex(`input ${i}`), output, seq: BigInt(i + 1), functionId: i % 2 === 0 ? 'batched' : undefined }),
        output,
      })
    }
    tree = merkleTree(batch.map((b) => resultDigest(b.fields)))
    signature = signRoot(tree.root)
  })

  test('an unsigned or wrongly signed root is refused', async () => {
    const other = signRoot(keccak256('0x01'))
    expect(
      await revertName(
        clients.public.simulateContract({ address: verifier, abi: NexusVerifier.abi, functionName: 'verifyBatchRoot', args: [tree.root, g1ToEip2537(other)] }),
      ),
    ).toBe('InvalidSignature')
    const proof = toBatchProof({ root: tree.root, index: 0, size: 100, proof: tree.proofs[0]! })
    expect(await revertName(verifyInBatch(batch[0]!.fields, proof))).toBe('UnknownBatchRoot')
  })

  test('the root is stored once (event), then all 100 results verify on-chain and off-chain', async () => {
    const receipt = await storeRoot(tree.root, signature)
    expect(receipt.status).toBe('success')
    const stored = parseEventLogs({ abi: NexusVerifier.abi, eventName: 'BatchRootStored', logs: receipt.logs })
    expect(stored.map((e) => e.args.root)).toEqual([tree.root])

    for (let i = 0; i < batch.length; i++) {
      const { fields, output } = batch[i]!
      const inclusion = { root: tree.root, index: i, size: batch.length, proof: tree.proofs[i]! }
      expect(await verifyInBatch(fields, toBatchProof(inclusion))).toBe(resultDigest(fields))
      if (i % 25 === 0) {
        const attested = createAttestedResult({ fields, output, signature, signers: [2, 3, 4], groupPublicKey: net.network.groupPublicKey, batch: inclusion })
        expect((await verifyResult(attested, net.network)).ok).toBe(true)
      }
    }
  })

  test('bad inclusion proofs → InvalidBatchProof', async () => {
    const i = 37
    const { fields } = batch[i]!
    const proof = tree.proofs[i]!
    const base = { root: tree.root, index: i, size: 100, proof }
    const cases: [string, ResultFields, Parameters<typeof toBatchProof>[0]][] = [
      ['tampered field', { ...fields, fuelUsed: fields.fuelUsed + 1n }, base],
      ['wrong index', fields, { ...base, index: i + 1 }],
      ['index ≥ size', fields, { ...base, index: 100 }],
      ['size 0', fields, { ...base, size: 0, index: 0 }],
      ['missing sibling', fields, { ...base, proof: proof.slice(0, -1) }],
      ['extra sibling', fields, { ...base, proof: [...proof, keccak256('0x00')] }],
      ['wrong size', fields, { ...base, size: 64 }],
    ]
    for (const [label, f, inc] of cases) {
      expect(await revertName(verifyInBatch(f, toBatchProof(inc))), label).toBe('InvalidBatchProof')
    }
  })
})

describe('merkleVerify agrees with the TypeScript tree', () => {
  test('every index of every size 1..12, plus rejected neighbours', async () => {
    for (let size = 1; size <= 12; size++) {
      const digests = Array.from({ length: size }, (_, i) => keccak256(toHex(`leaf ${size}/${i}`)))
      const { root, proofs } = merkleTree(digests)
      for (let index = 0; index < size; index++) {
        const proof = proofs[index]!
        expect(verifyMerkleProof(digests[index]!, index, size, proof, root)).toBe(true)
        const onChain = (i: number, s: number) =>
          clients.public.readContract({
            address: verifier,
            abi: NexusVerifier.abi,
            functionName: 'merkleVerify',
            args: [digests[index]!, toBatchProof({ root, index: i, size: s, proof })],
          })
        expect(await onChain(index, size), `size ${size} index ${index}`).toBe(true)
        const wrongIndex = (index + 1) % size
        if (wrongIndex !== index) {
          expect(await onChain(wrongIndex, size)).toBe(verifyMerkleProof(digests[index]!, wrongIndex, size, proof, root))
        }
        expect(await onChain(index, size + 1)).toBe(verifyMerkleProof(digests[index]!, index, size + 1, proof, root))
      }
    }
  })
})

describe('fulfilInBatch', () => {
  test('an inbox request fulfilled from a batch root', async () => {
    const functionId = await registerFunction(clients, { inbox, mode: FunctionMode.Bls, codeHash: CODE_HASH })
    const consumer = (await deployArtifact(clients, NexusConsumerExample, [inbox, functionId])).address
    const askHash = await clients.wallet.writeContract({ address: consumer, abi: NexusConsumerExample.abi, functionName: 'ask', args: ['0x4242'] })
    const askReceipt = await clients.public.waitForTransactionReceipt({ hash: askHash })
    const [ev] = parseEventLogs({ abi: NexusInbox.abi, eventName: 'Requested', logs: askReceipt.logs })
    // Our result sits at index 2 of a batch of 5.
    const outputs = ['0x01', '0x02', '0x4343', '0x04', '0x05'] as Hex[]
    const fields = outputs.map((o, i) =>
      fieldsFor({ verifier, input: i === 2 ? ev!.args.input : toHex(i), output: o, seq: 1000n + BigInt(i), functionId: 'asker' }),
    )
    const tree = merkleTree(fields.map(resultDigest))
    await storeRoot(tree.root, signRoot(tree.root))
    const proof = toBatchProof({ root: tree.root, index: 2, size: 5, proof: tree.proofs[2]! })
    const args = [ev!.args.requestId, toContractResult(fields[2]!), '0x4343', proof] as const
    const wrong = { ...proof, index: 3n }
    expect(
      await revertName(
        clients.public.simulateContract({ address: inbox, abi: NexusInbox.abi, functionName: 'fulfilInBatch', args: [args[0], args[1], args[2], wrong] }),
      ),
    ).toBe('InvalidBatchProof')
    // The same v2 result presented as another function's: another digest, so not in the batch.
    const asOther = { ...args[1], functionIdHash: keccak256(toHex('another')) }
    expect(
      await revertName(
        clients.public.simulateContract({ address: inbox, abi: NexusInbox.abi, functionName: 'fulfilInBatch', args: [args[0], asOther, args[2], proof] }),
      ),
    ).toBe('InvalidBatchProof')
    const hash = await clients.wallet.writeContract({ address: inbox, abi: NexusInbox.abi, functionName: 'fulfilInBatch', args })
    expect((await clients.public.waitForTransactionReceipt({ hash })).status).toBe('success')
    expect(await clients.public.readContract({ address: consumer, abi: NexusConsumerExample.abi, functionName: 'answers', args: [ev!.args.requestId] })).toBe(
      '0x4343',
    )
    expect(await revertName(clients.public.simulateContract({ address: inbox, abi: NexusInbox.abi, functionName: 'fulfilInBatch', args }))).toBe(
      'AlreadyFulfilled',
    )
  })
})
