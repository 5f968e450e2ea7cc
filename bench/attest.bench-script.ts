// `npm run bench -- attest`: threshold BLS attestation costs (noble-curves, pure JS; one row with the replicas' WebAssembly signer).
import { keccak256, toBytes, type Hex } from 'viem'
import { loadShareSigner, loadWasmCurve } from '@nexus/protocol/attest'
import { decodeG2, pairingCheck } from '@nexus/protocol/attest'
import {
  combineShares,
  createAttestedResult,
  dealerKeygen,
  decodeG1,
  hashToG1,
  interpolate,
  merkleTree,
  resultDigest,
  signShare,
  verifyResult,
  verifyShare,
  type ResultFields,
} from '@nexus/protocol/attest'

function measure(iterations: number, fn: (i: number) => void): number {
  fn(0) // warm up
  const times: number[] = []
  for (let i = 0; i < iterations; i++) {
    const start = performance.now()
    fn(i)
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]!
}

async function measureAsync(iterations: number, fn: () => Promise<unknown>): Promise<number> {
  await fn()
  const times: number[] = []
  for (let i = 0; i < iterations; i++) {
    const start = performance.now()
    await fn()
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]!
}

const ms = (x: number) => (x < 1 ? x.toFixed(3) : x < 100 ? x.toFixed(2) : x.toFixed(0))

function fieldsFor(seq: number, output: Hex): ResultFields {
  return {
    chainId: 31337n,
    verifier: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    codeHash: keccak256(toBytes('bench code')),
    seq: BigInt(seq),
    inputHash: keccak256(toBytes(`input ${seq}`)),
    status: 0,
    outputHash: keccak256(output),
    stateRootBefore: keccak256(toBytes(`root ${seq}`)),
    stateRootAfter: keccak256(toBytes(`root ${seq + 1}`)),
    fuelUsed: 48213n,
  }
}

export default async function (): Promise<void> {
  const rows: [string, string, string][] = []
  const { network, shares } = dealerKeygen({ t: 3, n: 4, seed: toBytes('bench') })
  const output: Hex = '0x2a'
  const fields = fieldsFor(1, output)
  const digest = resultDigest(fields)
  const all = shares.map((k) => signShare(digest, k))

  const digestInputs = Array.from({ length: 2001 }, (_, i) => fieldsFor(i, output)) // the fixture's own hashing is not timed
  rows.push([
    'result digest (abi.encode + keccak256)',
    ms(measure(2000, (i) => resultDigest(digestInputs[i]!))),
    'per result; keccak256 in WebAssembly (hash-wasm)',
  ])
  rows.push(['hash-to-G1 (Nexus DST)', ms(measure(50, (i) => hashToG1(keccak256(toBytes(i))))), ''])
  rows.push(['share sign (noble)', ms(measure(50, (i) => signShare(keccak256(toBytes(i)), shares[0]!))), 'hash-to-G1 + scalar mult'])
  const wasmSign = await loadShareSigner(shares[0]!)
  rows.push([
    'share sign (WebAssembly, what replicas use)',
    ms(measure(50, (i) => wasmSign(keccak256(toBytes(i))))),
    'same signature; scalar mult, pow and inv in ffjavascript (wasm-loader.ts)',
  ])
  rows.push(['share verify', ms(measure(20, () => verifyShare(digest, all[0]!, network.sharePublicKeys[0]!.publicKey))), 'one multi-pairing'])
  // The gateway's deferred check: one pairing check per group of combined signatures.
  const curve = await loadWasmCurve()
  const groupSignature = decodeG1(combineShares(digest, all, network).signature)
  const groupKey = decodeG2(network.groupPublicKey)
  const hashed = hashToG1(digest)
  rows.push([
    'pairing check e(σ, −G2)·e(H, pk) = 1 (noble)',
    ms(measure(20, () => pairingCheck(groupSignature, hashed, groupKey))),
    'G2 lines prepared once per key',
  ])
  if (curve)
    rows.push([
      "pairing check (WebAssembly, the gateway's deferred check)",
      ms(measure(20, () => curve.pairingCheck(groupSignature, hashed, groupKey))),
      'same answer; ffjavascript Miller loops and final exponentiation',
    ])

  for (const [t, n] of [
    [3, 4],
    [7, 10],
    [67, 100],
  ] as const) {
    const keygenStart = performance.now()
    const net = t === 3 ? { network, shares } : dealerKeygen({ t, n, seed: toBytes(`bench ${t}/${n}`) })
    const keygenMs = performance.now() - keygenStart
    const sigs = net.shares.slice(0, t).map((k) => signShare(digest, k))
    const points = sigs.map((s) => ({ index: s.index, point: decodeG1(s.signature) }))
    const lagrange = measure(10, () => interpolate(points))
    const full = measure(5, () => combineShares(digest, sigs, net.network))
    rows.push([`combine t=${t}/n=${n}: Lagrange interpolation only`, ms(lagrange), ''])
    rows.push([`combine t=${t}/n=${n}: combineShares (decode + interpolate + 1 group verify)`, ms(full), t === 3 ? '' : `dealer keygen ${ms(keygenMs)} ms`])
  }

  const { signature, signers } = combineShares(digest, all, network)
  const result = createAttestedResult({ fields, output, signature, signers, groupPublicKey: network.groupPublicKey })
  rows.push(['verifyResult (single result)', ms(await measureAsync(20, () => verifyResult(result, network))), 'parse + digest + pairing'])

  // Batch of 1,000 results: what one replica spends per result (digests, tree, one signature).
  const size = 1000
  const outputs = Array.from({ length: size }, (_, i) => `0x${i.toString(16).padStart(8, '0')}` as Hex)
  const batchFields = outputs.map((o, i) => fieldsFor(i + 1, o))
  let batchDigests: Hex[] = []
  let tree = { root: '0x' as Hex, proofs: [] as Hex[][] }
  const replicaBatch = measure(5, () => {
    batchDigests = batchFields.map(resultDigest)
    tree = merkleTree(batchDigests)
    signShare(tree.root, shares[0]!)
  })
  const replicaNoDigest = measure(5, () => {
    signShare(merkleTree(batchDigests).root, shares[0]!)
  })
  rows.push([`batch of ${size}: replica total (digests + Merkle tree + 1 share sign)`, ms(replicaBatch), ''])
  rows.push([
    `batch of ${size}: replica CPU per result`,
    ms(replicaBatch / size),
    `target < 1 ms; unbatched share sign is ${ms(measure(20, (i) => signShare(keccak256(toBytes(i)), shares[0]!)))} ms`,
  ])
  rows.push([`batch of ${size}: replica per result, attestation only (tree + sign, digests given)`, ms(replicaNoDigest / size), ''])
  const batchSigs = shares.map((k) => signShare(tree.root, k))
  const gatewayBatch = measure(5, () => combineShares(tree.root, batchSigs, network))
  rows.push([`batch of ${size}: gateway combine per result`, ms(gatewayBatch / size), `${ms(gatewayBatch)} ms per batch`])
  const batched = createAttestedResult({
    fields: batchFields[500]!,
    output: outputs[500]!,
    signature: combineShares(tree.root, batchSigs, network).signature,
    signers: [1, 2, 3],
    groupPublicKey: network.groupPublicKey,
    batch: { root: tree.root, index: 500, size, proof: tree.proofs[500]! },
  })
  const ok = await verifyResult(batched, network)
  if (!ok.ok) throw ok.error
  rows.push([`verifyResult (batched result, ${tree.proofs[500]!.length}-step proof)`, ms(await measureAsync(20, () => verifyResult(batched, network))), ''])

  console.log('| operation | median ms | note |')
  console.log('|---|---:|---|')
  for (const [op, value, note] of rows) console.log(`| ${op} | ${value} | ${note} |`)
}
