// Cross-check with the Solidity verifier (contracts/, EIP-2537 on a real anvil): keys, signatures
// and batch proofs produced by this module are accepted on-chain, and the same tampering that
// `verifyResult` rejects is rejected on-chain too.
import { BaseError, ContractFunctionRevertedError, keccak256, toBytes, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import * as NexusVerifier from '@nexus/contracts/generated/NexusVerifier'
import { createClients, deployArtifact, startAnvil, toContractResult, type Anvil, type Clients } from '@nexus/contracts'
import {
  combineShares,
  decodeG1,
  decodeG2,
  g1ToEip2537,
  g2ToEip2537,
  hashToG1Eip2537,
  merkleTree,
  resultDigest,
  runDkg,
  signShare,
  verifyAttestation,
  type ResultFields,
} from './index.ts'

let anvil: Anvil
let clients: Clients
let verifier: `0x${string}`
const dkg = runDkg({ t: 3, n: 4, seed: toBytes('solidity.test'), faults: [{ index: 2, kind: 'bad-share', victims: [3] }] })

beforeAll(async () => {
  anvil = await startAnvil()
  clients = createClients(anvil.rpcUrl)
  verifier = (await deployArtifact(clients, NexusVerifier, [g2ToEip2537(decodeG2(dkg.network.groupPublicKey))])).address
})
afterAll(async () => {
  await anvil?.stop()
})

// Odd seqs are protocol v2 (they name a function), even ones v1: both must agree on-chain.
const fieldsFor = (seq: number): ResultFields => ({
  chainId: 31337n,
  verifier,
  ...(seq % 2 === 1 ? { functionId: `fn-${seq % 3}` } : {}),
  codeHash: keccak256(toBytes('code')),
  seq: BigInt(seq),
  inputHash: keccak256(toBytes(`in ${seq}`)),
  status: (seq % 4) as 0 | 1 | 2 | 3,
  outputHash: keccak256(toBytes(`out ${seq}`)),
  stateRootBefore: keccak256(toBytes(`s ${seq}`)),
  stateRootAfter: keccak256(toBytes(`s ${seq + 1}`)),
  fuelUsed: BigInt(seq * 1000),
})

function sign(message: Hex, indices: number[]) {
  return combineShares(
    message,
    dkg.shares.filter((s) => indices.includes(s.index)).map((k) => signShare(message, k)),
    dkg.network,
  ).signature
}

const read = (functionName: string, [first, ...rest]: readonly unknown[]) =>
  clients.public.readContract({
    address: verifier,
    abi: NexusVerifier.abi,
    functionName,
    // The NexusResult tuple (with functionIdHash) from ResultFields; other arguments as they are.
    args: [typeof first === 'object' && first !== null && 'inputHash' in first ? toContractResult(first as ResultFields) : first, ...rest],
  } as never) as Promise<unknown>

async function revertName(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'no revert'
  } catch (err) {
    const reverted = err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : undefined
    return (reverted as ContractFunctionRevertedError | undefined)?.data?.errorName ?? String(err)
  }
}

describe('this module and the Solidity verifier agree', () => {
  test('digest, hash-to-G1 and a DKG key (with a disqualified dealer): accepted on-chain', async () => {
    expect(dkg.disqualified.map((d) => d.index)).toEqual([2])
    const fields = fieldsFor(7)
    const digest = resultDigest(fields)
    expect(await read('digest', [fields])).toBe(digest)
    expect(await read('hashToG1', [digest])).toBe(hashToG1Eip2537(digest))
    const signature = sign(digest, [1, 3, 4])
    expect(verifyAttestation({ fields, signature }, dkg.network)).toBe(digest)
    expect(await read('verify', [fields, g1ToEip2537(decodeG1(signature))])).toBe(digest)
  })

  test('tampered results are rejected on-chain as well as off-chain', async () => {
    const fields = fieldsFor(8)
    const digest = resultDigest(fields)
    const signature = g1ToEip2537(decodeG1(sign(digest, [2, 3, 4])))
    expect(await revertName(read('verify', [{ ...fields, fuelUsed: fields.fuelUsed + 1n }, signature]))).toBe('InvalidSignature')
    const share = g1ToEip2537(decodeG1(signShare(digest, dkg.shares[0]!).signature))
    expect(await revertName(read('verify', [fields, share]))).toBe('InvalidSignature')
    // v2: the same result presented as another function, or with its function id dropped.
    const v2 = fieldsFor(9)
    const v2Signature = g1ToEip2537(decodeG1(sign(resultDigest(v2), [1, 2, 3])))
    expect(await read('verify', [v2, v2Signature])).toBe(resultDigest(v2))
    expect(await revertName(read('verify', [{ ...v2, functionId: 'another' }, v2Signature]))).toBe('InvalidSignature')
    const { functionId: _, ...asV1 } = v2
    expect(await revertName(read('verify', [asV1, v2Signature]))).toBe('InvalidSignature')
  })

  test('batch roots and inclusion proofs from merkleTree verify on-chain, for every index of odd and even batches', async () => {
    for (const size of [1, 2, 5, 8, 9]) {
      const fieldsList = Array.from({ length: size }, (_, i) => fieldsFor(100 * size + i))
      const { root, proofs } = merkleTree(fieldsList.map(resultDigest))
      const hash = await clients.wallet.writeContract({
        address: verifier,
        abi: NexusVerifier.abi,
        functionName: 'verifyBatchRoot',
        args: [root, g1ToEip2537(decodeG1(sign(root, [1, 2, 4])))],
      } as never)
      expect((await clients.public.waitForTransactionReceipt({ hash })).status).toBe('success')
      for (let i = 0; i < size; i++) {
        const proof = { root, index: BigInt(i), size: BigInt(size), siblings: proofs[i]! }
        expect(await read('verifyInBatch', [fieldsList[i]!, proof])).toBe(resultDigest(fieldsList[i]!))
      }
      if (size > 1) {
        const forged = { root, index: 0n, size: BigInt(size), siblings: [keccak256('0x'), ...proofs[0]!.slice(1)] }
        expect(await revertName(read('verifyInBatch', [fieldsList[0]!, forged]))).toBe('InvalidBatchProof')
      }
    }
  })
})
