// Gas of the Nexus contracts on a real Prague chain (anvil): one verification (protocol v2, as
// replicas sign, and the same result as v1), a fulfil with its callback, storing a batch root and
// checking one result in a batch of 100. Prints a markdown table.
import { encodeFunctionData, keccak256, parseEventLogs, sha256, toHex, type Address, type Hex } from 'viem'
import { startAnvil } from '@nexus/contracts'
import { createClients, deployArtifact, deployNexus, FunctionMode, registerFunction } from '@nexus/contracts'
import { g1ToEip2537, toBatchProof, toContractResult } from '@nexus/contracts'
import * as NexusVerifier from '@nexus/contracts/generated/NexusVerifier'
import * as NexusInbox from '@nexus/contracts/generated/NexusInbox'
import * as NexusConsumerExample from '@nexus/contracts/generated/NexusConsumerExample'
import * as GasMeter from '@nexus/contracts/generated/GasMeter'
import { combineShares, dealerKeygen, merkleTree, resultDigest, signShare, type ResultFields } from '@nexus/protocol/attest'

const BATCH = 100

export default async function (): Promise<void> {
  const anvil = await startAnvil()
  try {
    const clients = createClients(anvil.rpcUrl)
    const { network, shares } = dealerKeygen({ t: 3, n: 4, seed: new TextEncoder().encode('bench') })
    const { verifier, inbox } = await deployNexus(clients, { groupPublicKey: network.groupPublicKey })
    const meter = (await deployArtifact(clients, GasMeter)).address
    const codeHash = sha256(toHex('bench component'))
    const sign = (message: Hex) =>
      g1ToEip2537(
        combineShares(
          message,
          shares.slice(0, 3).map((s) => signShare(message, s)),
          network,
        ).signature,
      )
    const fields = (input: Hex, output: Hex, seq: bigint): ResultFields => ({
      chainId: 31337n,
      verifier,
      functionId: 'bench',
      codeHash,
      seq,
      inputHash: keccak256(input),
      status: 0,
      outputHash: keccak256(output),
      stateRootBefore: keccak256(toHex(`root ${seq - 1n}`)),
      stateRootAfter: keccak256(toHex(`root ${seq}`)),
      fuelUsed: 48_213n,
    })
    const tx = async (hash: Promise<Hex>) => {
      const r = await clients.public.waitForTransactionReceipt({ hash: await hash })
      if (r.status !== 'success') throw new Error('bench transaction reverted')
      return r
    }
    /** Gas a calling contract pays for one inner call (no 21k base, no tx calldata). */
    const inner = async (target: Address, data: Hex) => {
      const { result } = await clients.public.simulateContract({ address: meter, abi: GasMeter.abi, functionName: 'measure', args: [target, data] })
      if (!result[1]) throw new Error('measured call reverted')
      return result[0]
    }
    const rows: [string, bigint, string][] = []

    // 1. One result, full on-chain hash-to-G1 + pairing.
    const one = fields('0x01', '0x02', 1n)
    const oneSig = sign(resultDigest(one))
    const verifyData = encodeFunctionData({ abi: NexusVerifier.abi, functionName: 'verify', args: [toContractResult(one), oneSig] })
    rows.push([
      'verify one result (`verify`, as a transaction)',
      await clients.public.estimateGas({ account: clients.wallet.account, to: verifier, data: verifyData }),
      '≤ 160k',
    ])
    rows.push(['verify one result (`verify`, called from a contract)', await inner(verifier, verifyData), ''])
    const { functionId: _, ...oneV1 } = one
    const v1Data = encodeFunctionData({ abi: NexusVerifier.abi, functionName: 'verify', args: [toContractResult(oneV1), sign(resultDigest(oneV1))] })
    rows.push([
      'the same result as protocol v1 (`verify`, as a transaction)',
      await clients.public.estimateGas({ account: clients.wallet.account, to: verifier, data: v1Data }),
      '',
    ])
    rows.push(['the same result as protocol v1 (`verify`, called from a contract)', await inner(verifier, v1Data), ''])

    // 2. request + fulfil with the example consumer's callback (stores the output).
    const functionId = await registerFunction(clients, { inbox, mode: FunctionMode.Bls, codeHash })
    const consumer = (await deployArtifact(clients, NexusConsumerExample, [inbox, functionId])).address
    const asked = await tx(clients.wallet.writeContract({ address: consumer, abi: NexusConsumerExample.abi, functionName: 'ask', args: ['0x0102030405'] }))
    rows.push(['`request` (via the example consumer, 5-byte input)', asked.gasUsed, ''])
    const [ev] = parseEventLogs({ abi: NexusInbox.abi, eventName: 'Requested', logs: asked.logs })
    const output: Hex = '0x0504030201'
    const f = fields(ev!.args.input, output, 2n)
    const fulfilled = await tx(
      clients.wallet.writeContract({
        address: inbox,
        abi: NexusInbox.abi,
        functionName: 'fulfil',
        args: [ev!.args.requestId, toContractResult(f), output, sign(resultDigest(f))],
      }),
    )
    rows.push(['`fulfil` with callback (verify + store + consumer callback)', fulfilled.gasUsed, ''])

    // 3. A batch of 100: store the root once, then check results against it.
    const batch = Array.from({ length: BATCH }, (_, i) => fields(toHex(`in ${i}`), toHex(`out ${i}`), BigInt(100 + i)))
    const tree = merkleTree(batch.map(resultDigest))
    const stored = await tx(
      clients.wallet.writeContract({ address: verifier, abi: NexusVerifier.abi, functionName: 'verifyBatchRoot', args: [tree.root, sign(tree.root)] }),
    )
    rows.push([`\`verifyBatchRoot\` (store one root, batch of ${BATCH})`, stored.gasUsed, ''])
    let innerSum = 0n
    let txSum = 0n
    for (let i = 0; i < BATCH; i++) {
      const data = encodeFunctionData({
        abi: NexusVerifier.abi,
        functionName: 'verifyInBatch',
        args: [toContractResult(batch[i]!), toBatchProof({ root: tree.root, index: i, size: BATCH, proof: tree.proofs[i]! })],
      })
      innerSum += await inner(verifier, data)
      txSum += await clients.public.estimateGas({ account: clients.wallet.account, to: verifier, data })
    }
    const innerAvg = innerSum / BigInt(BATCH)
    const txAvg = txSum / BigInt(BATCH)
    rows.push([`\`verifyInBatch\` one result (called from a contract, mean of ${BATCH})`, innerAvg, ''])
    rows.push([`\`verifyInBatch\` one result (as its own transaction, mean of ${BATCH})`, txAvg, ''])
    rows.push([
      `amortized per result, batch of ${BATCH}: root/${BATCH} + \`verifyInBatch\` from a contract`,
      stored.gasUsed / BigInt(BATCH) + innerAvg,
      '≤ 25k',
    ])
    rows.push([`amortized per result, batch of ${BATCH}: root/${BATCH} + \`verifyInBatch\` as a transaction`, stored.gasUsed / BigInt(BATCH) + txAvg, ''])

    console.log('| operation | gas | target |')
    console.log('|---|---:|---|')
    for (const [op, gas, target] of rows) console.log(`| ${op} | ${gas.toLocaleString('en-US')} | ${target} |`)
  } finally {
    await anvil.stop()
  }
}
