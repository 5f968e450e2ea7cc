// End to end over real processes: HTTP request → zk function mapping → prover process → verified proof
// → verifyZkResult off-chain and the snarkjs Solidity verifier on anvil. Tampered and foreign proofs
// are rejected in both places.
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { computeZkDigest, verifyZkResult, type ZkErrorResult, type ZkResult } from '@nexus/protocol/zk'
import type { Abi, Address } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  buildCircuit,
  buildGroth16Verifier,
  builtinCircuits,
  createProverPool,
  createZkExecutor,
  createZkHttpHandler,
  toSolidityProofArgs,
  type BuiltCircuit,
  type ProverPool,
  type ProverProgress,
} from '../src/index.ts'
import { member, preimage } from '@nexus/testkit/zk-functions'
import { merklePath, poseidon } from '@nexus/testkit/poseidon'
import { buildSmallCircuits, createClients, deployArtifact, startAnvil } from './helpers/setup.ts'

type Chain = Awaited<ReturnType<typeof startAnvil>>
let circuits: Awaited<ReturnType<typeof buildSmallCircuits>>
let otherSetup: BuiltCircuit // poseidon-preimage again, with a different (independent) Groth16 setup
let pool: ProverPool
let chain: Chain
let clients: ReturnType<typeof createClients>
const verifiers: Record<string, { address: Address; abi: Abi }> = {}
let server: ReturnType<typeof serve>
let baseUrl: string
const tmp = mkdtempSync(join(tmpdir(), 'nexus-zk-'))

const leaves = [11n, 22n, 33n, 44n, 55n, 66n, 77n, 88n].map((s) => poseidon([s]))
const tree = merklePath(leaves, 5)
const memberRequest = {
  secret: '66',
  path: tree.pathElements.map(String),
  index: 5,
  root: tree.root.toString(),
  scope: '7',
}

async function onChainVerify(circuitId: string, r: Pick<ZkResult, 'proof' | 'publicSignals'>) {
  const v = verifiers[circuitId]!
  return clients.public.readContract({
    address: v.address,
    abi: v.abi,
    functionName: 'verifyProof',
    args: toSolidityProofArgs(r.proof, r.publicSignals) as never,
  }) as Promise<boolean>
}

async function verifyGasUsed(circuitId: string, r: Pick<ZkResult, 'proof' | 'publicSignals'>) {
  const v = verifiers[circuitId]!
  const hash = await clients.wallet.writeContract({
    address: v.address,
    abi: v.abi,
    functionName: 'verifyProof',
    args: toSolidityProofArgs(r.proof, r.publicSignals) as never,
    gas: 2_000_000n,
  } as never)
  return (await clients.public.waitForTransactionReceipt({ hash })).gasUsed
}

beforeAll(async () => {
  circuits = await buildSmallCircuits()
  otherSetup = await buildCircuit({ circuit: builtinCircuits['poseidon-preimage'], cacheDir: join(tmp, 'other') })
  pool = createProverPool({ size: 2, timeoutMs: 60_000 })
  chain = await startAnvil()
  clients = createClients(chain.rpcUrl)
  for (const [id, c] of [...Object.entries(circuits), ['other', otherSetup] as const]) {
    const compiled = await buildGroth16Verifier(c)
    const { address } = await deployArtifact(clients, compiled)
    verifiers[id] = { address, abi: compiled.abi }
  }
  const executor = createZkExecutor({ pool, circuits })
  const handler = createZkHttpHandler({ executor, functions: { member, preimage } as never })
  server = serve({ fetch: handler, port: 0, hostname: '127.0.0.1' })
  await new Promise<void>((r) => server.once('listening', () => r()))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
  await pool?.close()
  await chain?.stop()
  rmSync(tmp, { recursive: true, force: true })
})

const post = (name: string, body: unknown) =>
  fetch(`${baseUrl}/zk/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe('zk invocation over HTTP', () => {
  let result: ZkResult<{ nullifier: string; root: string; scope: string }>

  beforeAll(async () => {
    const res = await post('member', memberRequest)
    expect(res.status).toBe(200)
    result = (await res.json()) as typeof result
  })

  test('the result carries a proof of membership that verifies off-chain', async () => {
    expect(result).toMatchObject({ protocol: 'nexus.zk.v1', kind: 'zk', circuitId: 'merkle3', verificationKeyHash: circuits.merkle3.verificationKeyHash })
    expect(result.publicSignals).toEqual([poseidon([66n, 7n]).toString(), tree.root.toString(), '7'])
    expect(result.output).toEqual({ nullifier: `0x${poseidon([66n, 7n]).toString(16).padStart(64, '0')}`, root: tree.root.toString(), scope: '7' })
    const verified = await verifyZkResult(result, { keyDir: join(circuits.merkle3.dir, '..', 'vk'), circuitId: 'merkle3', fn: member })
    expect(verified).toEqual({ ok: true, digest: computeZkDigest(result) })
    // The in-process key registry (filled by the build) also resolves it.
    expect((await verifyZkResult(result)).ok).toBe(true)
    // `verifyResult` (and so `nexus verify`) dispatches zk results here.
    const { verifyResult } = await import('@nexus/framework/attest')
    expect(await verifyResult(result, {} as never)).toEqual({ ok: true, digest: computeZkDigest(result) })
    const bad = await verifyResult({ ...result, publicSignals: ['1', '2', '3'] }, {} as never)
    expect(!bad.ok && bad.error.code).toBe('NEXUS_ZK_INVALID_PROOF')
  })

  test('the same proof verifies on-chain (snarkjs verifier on anvil, Prague)', async () => {
    expect(await onChainVerify('merkle3', result)).toBe(true)
    // Gas from a real transaction (estimateGas would find the least gas at which the verifier
    // returns *false* without reverting, since a starved pairing precompile just fails).
    const gasUsed = await verifyGasUsed('merkle3', result)
    expect(gasUsed).toBeGreaterThan(150_000n)
  })

  test('a tampered public signal is rejected off-chain and on-chain', async () => {
    const tampered = { ...result, publicSignals: [result.publicSignals[0]!, result.publicSignals[1]!, '8'] }
    const off = await verifyZkResult(tampered)
    expect(off.ok).toBe(false)
    if (!off.ok) expect(off.error.code).toBe('NEXUS_ZK_INVALID_PROOF')
    expect(await onChainVerify('merkle3', tampered)).toBe(false)
    // Changing only the decoded output is caught when the verifier re-decodes it.
    const lied = { ...result, output: { ...result.output, scope: '8' } }
    const o = await verifyZkResult(lied, { fn: member })
    expect(!o.ok && o.error.code).toBe('NEXUS_ZK_OUTPUT_MISMATCH')
  })

  test('a proof for another circuit is rejected off-chain and on-chain', async () => {
    const res = await post('preimage', { preimage: '5', salt: '9' })
    expect(res.status).toBe(200)
    const pre = (await res.json()) as ZkResult
    expect(pre.publicSignals).toEqual([poseidon([5n, 9n]).toString()])
    expect((await verifyZkResult(pre, { circuitId: 'poseidon-preimage' })).ok).toBe(true)
    expect(await onChainVerify('poseidon-preimage', pre)).toBe(true)

    // Same-shape circuit, independent setup: the proof fails the other key's pairing check.
    const relabelled = { ...pre, verificationKeyHash: otherSetup.verificationKeyHash }
    const off = await verifyZkResult(relabelled, { verificationKey: otherSetup.verificationKey })
    expect(!off.ok && off.error.code).toBe('NEXUS_ZK_INVALID_PROOF')
    expect(await onChainVerify('other', pre)).toBe(false)

    // Presented as the membership circuit: wrong key for the claimed circuit / wrong signal count.
    const asMember = { ...pre, circuitId: 'merkle3', verificationKeyHash: circuits.merkle3.verificationKeyHash }
    const off2 = await verifyZkResult(asMember, { circuitId: 'merkle3' })
    expect(!off2.ok && off2.error.code).toBe('NEXUS_ZK_INVALID_PROOF')
    const memberProofAsPreimage = await onChainVerify('other', { proof: result.proof, publicSignals: [result.publicSignals[0]!] })
    expect(memberProofAsPreimage).toBe(false)
    // Pinning the expected circuit rejects a valid proof of a different one outright.
    const pinned = await verifyZkResult(pre, { circuitId: 'merkle3' })
    expect(!pinned.ok && pinned.error.code).toBe('NEXUS_ZK_CIRCUIT_MISMATCH')
  })

  test('invalid circuit inputs produce a clear error result, not a crash', async () => {
    const bad = await post('member', { ...memberRequest, path: ['1', '2'] })
    expect(bad.status).toBe(400)
    const body = (await bad.json()) as ZkErrorResult
    expect(body).toMatchObject({ protocol: 'nexus.zk.v1', kind: 'zk', status: 'error', circuitId: 'merkle3' })
    expect(body.error.code).toBe('NEXUS_ZK_INVALID_INPUT')
    expect(body.error.message).toContain('pathElements: expected 3 elements, got 2')

    const notAnInt = await post('preimage', { preimage: 'hello' })
    expect(((await notAnInt.json()) as ZkErrorResult).error.message).toContain('preimage: "hello" is not a decimal or 0x-hex integer')

    // Well-typed inputs that violate a constraint (not a member of the tree): rejected by the witness.
    const notMember = await post('member', { ...memberRequest, secret: '67' })
    expect(notMember.status).toBe(400)
    const nm = (await notMember.json()) as ZkErrorResult
    expect(nm.error.code).toBe('NEXUS_ZK_INVALID_INPUT')
    expect(nm.error.message).toContain('The inputs do not satisfy circuit "merkle3"')

    expect((await post('nope', {})).status).toBe(404)
    // The provers are still healthy afterwards.
    expect((await post('preimage', { preimage: '1' })).status).toBe(200)
  })
})

describe('prover pool', () => {
  const inputs = { preimage: '3', salt: '4' }

  test('reports progress for a proof', async () => {
    const events: ProverProgress[] = []
    const out = await pool.prove({ circuit: circuits.merkle3, inputs: member.mapInputs(memberRequest), onProgress: (e) => events.push(e) })
    expect(out.attempts).toEqual([expect.objectContaining({ ok: true })])
    expect(events.map((e) => e.stage)).toEqual(expect.arrayContaining(['witness', 'prove', 'verify']))
    expect(events.some((e) => e.message.startsWith('Reading H Points'))).toBe(true)
    expect(out.peakRssBytes).toBeGreaterThan(10_000_000)
  })

  test('falls back to the next prover when one crashes or returns a wrong proof', async () => {
    for (const fault of ['crash', 'wrong-proof', 'error'] as const) {
      const p = createProverPool({ size: 2, faults: [fault, undefined] })
      try {
        // Two proofs so that the faulty prover is certainly tried once.
        const outs = await Promise.all([1, 2].map(() => p.prove({ circuit: circuits['poseidon-preimage'], inputs })))
        for (const out of outs) {
          expect(out.prover).toBe(1)
          expect(out.publicSignals).toEqual([poseidon([3n, 4n]).toString()])
        }
        const failed = outs.flatMap((o) => o.attempts).filter((a) => !a.ok)
        expect(failed.length).toBeGreaterThan(0)
        if (fault === 'wrong-proof') expect(failed[0]!.error).toBe('returned a proof that does not verify')
      } finally {
        await p.close()
      }
    }
  })

  test('times out a hung prover; a wrong proof is never served', async () => {
    const p = createProverPool({ size: 2, timeoutMs: 8_000, faults: ['hang', 'wrong-proof'] })
    try {
      await p.warm()
      const err = await p.prove({ circuit: circuits['poseidon-preimage'], inputs }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toMatchObject({ name: 'ZkProverError', code: 'NEXUS_ZK_PROVER_FAILED' })
      expect((err as Error).message).toMatch(/timed out after 8000 ms/)
      expect((err as Error).message).toMatch(/does not verify/)
    } finally {
      await p.close()
    }
  })
})
