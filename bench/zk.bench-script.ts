// Nexus Zero: setup, proving (time, peak memory), verification and on-chain gas per circuit size,
// and the speedup of two parallel single-threaded provers over one multi-threaded prover.
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { verifyGroth16 } from '@nexus/protocol/zk'
import {
  buildCircuit,
  buildGroth16Verifier,
  builtinCircuits,
  createProverPool,
  releaseCurves,
  encodeForInbox,
  toSolidityProofArgs,
  toZkFulfilArgs,
  type BuiltCircuit,
  type CircuitDefinition,
} from '@nexus/circuits'
import { repoRoot } from '@nexus/cli/dev'
import { poseidon } from '@nexus/testkit/poseidon'
import { startAnvil } from '@nexus/contracts'
import { createClients, deployArtifact, deployNexus, FunctionMode, registerFunction } from '@nexus/contracts'
import * as NexusInbox from '@nexus/contracts/generated/NexusInbox'
import * as NexusGroth16Adapter from '@nexus/contracts/generated/NexusGroth16Adapter'
import * as TestConsumer from '@nexus/contracts/generated/TestConsumer'
import { dealerKeygen } from '@nexus/protocol/attest'
import { parseEventLogs } from 'viem'
import { createZkGuest } from '@nexus/gateway/zk'

const cacheDir = join(repoRoot, '.nexus', 'bench-circuits')
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const s = (ms: number) => (ms / 1000).toFixed(2)
const mb = (b: number) => (b / 2 ** 20).toFixed(0)

function membershipInputs(depth: number) {
  const secret = 123456789n
  let cur = poseidon([secret])
  const pathElements: string[] = []
  const pathIndices: string[] = []
  for (let i = 0; i < depth; i++) {
    const sib = poseidon([BigInt(i + 1000)])
    const bit = i % 3 === 1 ? 1 : 0
    cur = bit ? poseidon([sib, cur]) : poseidon([cur, sib])
    pathElements.push(sib.toString())
    pathIndices.push(String(bit))
  }
  return { secret: secret.toString(), pathElements, pathIndices, root: cur.toString(), scope: '1' }
}

const cases: { circuit: CircuitDefinition; inputs: Record<string, string | string[]> }[] = [
  { circuit: builtinCircuits.merkle3, inputs: membershipInputs(3) },
  { circuit: builtinCircuits.merkle40, inputs: membershipInputs(40) },
  { circuit: builtinCircuits['sha256-64'], inputs: { bytes: Array.from({ length: 64 }, (_, i) => String(i)) } },
]

export default async function zkBench(): Promise<void> {
  // `NEXUS_BENCH_ZK_PARTS=inbox npm run bench -- zk` runs only the inbox/gateway part (seconds, not minutes).
  const parts = (process.env.NEXUS_BENCH_ZK_PARTS ?? 'prove,inbox').split(',')
  if (parts.includes('prove')) await provingBench()
  if (parts.includes('inbox')) await inboxBench()
}

async function provingBench(): Promise<void> {
  const runs = Number(process.env.NEXUS_BENCH_ZK_RUNS ?? 3)
  const chain = await startAnvil()
  const clients = createClients(chain.rpcUrl)
  const rows: string[] = []
  const parallelRows: string[] = []
  try {
    for (const { circuit, inputs } of cases) {
      const t0 = performance.now()
      const built: BuiltCircuit = await buildCircuit({
        circuit,
        cacheDir,
        onProgress: (e) => process.stderr.write(`  ${e.circuit ?? ''} ${e.stage}: ${e.message.split('\n')[0]}\n`),
      })
      const buildMs = performance.now() - t0
      // A cached build reports the compile/setup times recorded when it was made.
      const manifest = (await import(join(built.dir, 'manifest.json'), { with: { type: 'json' } })).default as {
        timings: { compileMs: number; setupMs: number }
      }
      const timings = built.cached ? manifest.timings : built.timings

      // One multi-threaded prover (snarkjs default): time per proof and peak RSS of the prover process.
      const single = createProverPool({ size: 1, singleThread: false })
      await single.warm()
      const proveMs: number[] = []
      const witnessMs: number[] = []
      let peak = 0
      let last!: Awaited<ReturnType<typeof single.prove>>
      await single.prove({ circuit: built, inputs }) // warm-up: loads the zkey and wasm caches
      for (let i = 0; i < runs; i++) {
        const t = performance.now()
        last = await single.prove({ circuit: built, inputs })
        proveMs.push(performance.now() - t - last.verifyMs)
        witnessMs.push(last.witnessMs)
        peak = Math.max(peak, last.peakRssBytes)
      }
      // Two proofs back to back on the multi-threaded prover vs in parallel on two single-threaded ones.
      const t1 = performance.now()
      await single.prove({ circuit: built, inputs })
      await single.prove({ circuit: built, inputs })
      const sequentialMs = performance.now() - t1
      await single.close()
      const pair = createProverPool({ size: 2, singleThread: true })
      await pair.warm()
      await Promise.all([pair.prove({ circuit: built, inputs }), pair.prove({ circuit: built, inputs })])
      const t2 = performance.now()
      await Promise.all([pair.prove({ circuit: built, inputs }), pair.prove({ circuit: built, inputs })])
      const parallelMs = performance.now() - t2
      await pair.close()

      const verifyMs: number[] = []
      for (let i = 0; i < 5; i++) {
        const t = performance.now()
        if (!(await verifyGroth16(built.verificationKey, last.publicSignals, last.proof))) throw new Error('proof did not verify')
        verifyMs.push(performance.now() - t)
      }

      const verifier = await buildGroth16Verifier(built)
      const { address } = await deployArtifact(clients, verifier)
      const args = toSolidityProofArgs(last.proof, last.publicSignals)
      const ok = await clients.public.readContract({ address, abi: verifier.abi, functionName: 'verifyProof', args: args as never })
      if (ok !== true) throw new Error('on-chain verifier rejected a valid proof')
      const hash = await clients.wallet.writeContract({
        address,
        abi: verifier.abi,
        functionName: 'verifyProof',
        args: args as never,
        gas: 2_000_000n,
      } as never)
      const gas = (await clients.public.waitForTransactionReceipt({ hash })).gasUsed

      rows.push(
        `| ${built.id} | ${built.constraints.toLocaleString('en-US')} | ${built.ptau.power} | ${s(timings.compileMs)} | ${s(timings.setupMs)} | ${s(median(witnessMs))} | ${s(median(proveMs))} | ${mb(peak)} | ${median(verifyMs).toFixed(1)} | ${gas.toLocaleString('en-US')} | ${verifier.deployedSize.toLocaleString('en-US')} |`,
      )
      parallelRows.push(`| ${built.id} | ${s(sequentialMs)} | ${s(parallelMs)} | ${(sequentialMs / parallelMs).toFixed(2)}× |`)
      process.stderr.write(
        `  ${built.id}: done (build call ${s(buildMs)} s, cached=${built.cached}, zkey ${createHash('sha256').update(built.verificationKeyHash).digest('hex').slice(0, 8)})\n`,
      )
    }
  } finally {
    await chain.stop()
    await releaseCurves()
  }
  console.log(`Groth16 (snarkjs 0.7.6, BN254), ${runs} timed proofs per circuit after one warm-up, one multi-threaded prover process.`)
  console.log(
    'Prove time excludes the verification the pool does before returning a proof; gas is a real `verifyProof` transaction (21k base + calldata included).\n',
  )
  console.log(
    '| circuit | constraints | ptau power | compile s | setup s | witness s | prove s (median) | prover peak RSS MB | verify ms (off-chain) | verify gas (tx) | verifier bytecode B |',
  )
  console.log('|---|---|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) console.log(r)
  console.log('\nTwo proofs: back to back on one multi-threaded prover vs in parallel on two single-threaded provers (2 cores).\n')
  console.log('| circuit | sequential s | parallel s | speedup |')
  console.log('|---|---|---|---|')
  for (const r of parallelRows) console.log(r)
}

/**
 * The zk path around the prover: the request → circuit-inputs mapping in the runtime sandbox (fresh
 * instance per call), and gas of a whole `NexusInbox.fulfil` of a zk result (adapter + snarkjs
 * verifier + inbox bookkeeping + the test consumer storing the output) next to a bare `verifyProof`.
 */
async function inboxBench(): Promise<void> {
  const request = { secret: '1', path: ['2', '3', '4'], index: 5, root: '6', scope: '7' }
  const mapMs: Record<'snapshot' | 'fresh', number[]> = { snapshot: [], fresh: [] }
  for (const mode of ['snapshot', 'fresh'] as const) {
    const guest = await createZkGuest({
      handlerPath: join(repoRoot, 'gateway/test/zk-handler.ts'),
      cacheDir: join(repoRoot, '.nexus', 'bench-zk-inputs'),
      freshInstances: mode === 'fresh',
    })
    try {
      for (let i = 0; i < 21; i++) {
        const t = performance.now()
        await guest.mapInputs('member', request)
        if (i > 0) mapMs[mode].push(performance.now() - t)
      }
    } finally {
      await guest.close()
    }
  }

  const chain = await startAnvil()
  const clients = createClients(chain.rpcUrl)
  const pool = createProverPool({ size: 1 })
  const rows: string[] = []
  try {
    const { inbox } = await deployNexus(clients, { groupPublicKey: dealerKeygen({ t: 1, n: 1 }).network.groupPublicKey })
    const consumer = (await deployArtifact(clients, TestConsumer, [inbox])).address
    const cases = [
      { circuit: builtinCircuits['poseidon-preimage'], inputs: { preimage: '5', salt: '9' } },
      { circuit: builtinCircuits.merkle3, inputs: membershipInputs(3) },
    ]
    for (const { circuit, inputs } of cases) {
      const built = await buildCircuit({ circuit, cacheDir })
      const proved = await pool.prove({ circuit: built, inputs })
      const verifier = await buildGroth16Verifier(built)
      const groth16 = await deployArtifact(clients, verifier)
      const adapter = await deployArtifact(clients, NexusGroth16Adapter, [groth16.address, BigInt(built.nOutputs), BigInt(built.nPublic - built.nOutputs)])
      const functionId = await registerFunction(clients, {
        inbox,
        mode: FunctionMode.Groth16,
        codeHash: built.verificationKeyHash,
        zkVerifier: adapter.address,
      })
      const result = { ...proved, verificationKeyHash: built.verificationKeyHash }
      const receipt = async (hash: `0x${string}`) => {
        const r = await clients.public.waitForTransactionReceipt({ hash })
        if (r.status !== 'success') throw new Error(`transaction ${hash} reverted`)
        return r
      }
      const { input } = encodeForInbox(result, built.nOutputs)
      // Twice: the first fulfil also pays for the consumer's first writes to its storage slots; the
      // second is the steady state of a consumer that has received results before.
      const gas: { ask: bigint; fulfil: bigint }[] = []
      for (let i = 0; i < 2; i++) {
        const asked = await receipt(
          await clients.wallet.writeContract({ address: consumer, abi: TestConsumer.abi, functionName: 'ask', args: [functionId, input, 300_000n] }),
        )
        const [ev] = parseEventLogs({ abi: NexusInbox.abi, eventName: 'Requested', logs: asked.logs })
        const fulfil = toZkFulfilArgs(ev!.args.requestId, result, built.nOutputs)
        const fulfilled = await receipt(
          await clients.wallet.writeContract({ address: inbox, abi: NexusInbox.abi, functionName: 'fulfil', args: fulfil as never, gas: 3_000_000n }),
        )
        gas.push({ ask: asked.gasUsed, fulfil: fulfilled.gasUsed })
      }
      const bare = await receipt(
        await clients.wallet.writeContract({
          address: groth16.address,
          abi: verifier.abi,
          functionName: 'verifyProof',
          args: toSolidityProofArgs(proved.proof, proved.publicSignals) as never,
          gas: 2_000_000n,
        } as never),
      )
      const n = (g: bigint) => g.toLocaleString('en-US')
      rows.push(
        `| ${built.id} | ${built.nOutputs} + ${built.nPublic - built.nOutputs} | ${n(bare.gasUsed)} | ${n(gas[1]!.fulfil)} | ${n(gas[0]!.fulfil)} | ${n(gas[1]!.ask)} |`,
      )
    }
  } finally {
    await pool.close()
    await chain.stop()
    await releaseCurves()
  }
  console.log('\nInput mapping in the runtime sandbox (gateway/src/zk; merkle3 "member" mapping + validation, 20 calls after one warm-up):\n')
  console.log('| instance per call | median ms |')
  console.log('|---|---|')
  console.log(`| pristine snapshot restored (default) | ${median(mapMs.snapshot).toFixed(1)} |`)
  console.log(`| instantiated anew (\`freshInstances\`) | ${median(mapMs.fresh).toFixed(1)} |\n`)
  console.log(
    'zk fulfil through the inbox: gas of real transactions on anvil (Prague). `fulfil` = inbox checks + NexusGroth16Adapter + snarkjs verifier + TestConsumer callback storing the output.\n',
  )
  console.log('| circuit | public outputs + inputs | verifyProof tx gas | NexusInbox.fulfil tx gas | first fulfil to this consumer | request tx gas |')
  console.log('|---|---|---|---|---|---|')
  for (const r of rows) console.log(r)
}
