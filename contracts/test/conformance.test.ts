// One conformance suite, two verifiers (Hono's common.case pattern): every case must get the same
// verdict from the TypeScript verifier (protocol/src/attest) and from NexusVerifier on-chain —
// the protocol-v1 and protocol-v2 vectors, and results of both protocols made here.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { encodeFunctionData, keccak256, toHex, type Address, type Hex } from 'viem'
import { startAnvil, type Anvil } from '../src/anvil.ts'
import { createClients, deployArtifact, deployNexus, type Clients } from '../src/deploy.ts'
import { Fp, g1ToEip2537, toContractResult, type ResultFieldsLike } from '../src/encode.ts'
import * as NexusVerifier from '../generated/NexusVerifier.ts'
import * as GasMeter from '../generated/GasMeter.ts'
import {
  decodeG1,
  encodeG1,
  interpolate,
  signShare,
  parseNetwork,
  parseResultFields,
  resultDigest,
  resultProtocol,
  verifyAttestation,
  verifyResult,
  type Network,
} from '@nexus/protocol/attest'
import { attest, fieldsFor, revertName, testNetwork, vectors, vectorsV2, type Vectors } from '@nexus/testkit/contracts'

type Verdict = 'valid' | 'bad-signature' | 'malformed-point' | 'not-in-subgroup'
type Case = {
  name: string
  fields: ResultFieldsLike
  /** Compressed signature (what the TypeScript verifier and the result JSON carry). */
  signature: Hex
  /** EIP-2537 form for the contract; derived from `signature` when absent. */
  signatureEip2537?: Hex
  /** When present, verifyResult (the full JSON path) is used, else verifyAttestation. */
  output?: Hex
  network: 'vectors' | 'vectorsV2' | 'generated' | 'other'
  expected: Verdict
}

const networkOf = (v: Vectors): Network =>
  parseNetwork({
    protocol: 'nexus.result.v1',
    t: v.network.t,
    n: v.network.n,
    groupPublicKey: v.network.groupPublicKey,
    sharePublicKeys: v.network.shares.map(({ index, publicKey }) => ({ index, publicKey })),
  })
const generated = testNetwork('conformance')
const other = testNetwork('conformance-other')
const networks = { vectors: networkOf(vectors), vectorsV2: networkOf(vectorsV2), generated: generated.network, other: other.network }

const VECTOR_VERIFIER: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const byCode: Record<string, Verdict> = {
  NEXUS_ATTEST_BAD_SIGNATURE: 'bad-signature',
  NEXUS_ATTEST_MALFORMED_POINT: 'malformed-point',
  NEXUS_ATTEST_NOT_IN_SUBGROUP: 'not-in-subgroup',
}
const byError: Record<string, Verdict> = {
  InvalidSignature: 'bad-signature',
  MalformedPoint: 'malformed-point',
  InvalidPointLength: 'malformed-point',
  PointNotInSubgroup: 'not-in-subgroup',
}
const vectorVerdict = (why: string): Verdict =>
  why.includes('subgroup') ? 'not-in-subgroup' : why.startsWith('malformed') ? 'malformed-point' : 'bad-signature'

const isSquare = (v: bigint) => v === 0n || Fp.pow(v, (Fp.ORDER - 1n) / 2n) === 1n

function vectorCases(set: Vectors, network: 'vectors' | 'vectorsV2', tag: string): Case[] {
  const list: Case[] = []
  for (const [i, v] of set.valid.entries())
    list.push({ name: `${tag} vector valid #${i}`, fields: v.fields, signature: v.signature, signatureEip2537: v.signatureEip2537, network, expected: 'valid' })
  for (const v of set.invalid)
    list.push({
      name: `${tag} vector invalid: ${v.why}`,
      fields: v.fields,
      signature: v.signature,
      signatureEip2537: v.signatureEip2537 ?? (v.why.includes('47 bytes') ? (`0x${'11'.repeat(127)}` as Hex) : undefined),
      network,
      expected: vectorVerdict(v.why),
    })
  return list
}

function cases(): Case[] {
  const list: Case[] = [...vectorCases(vectors, 'vectors', 'v1'), ...vectorCases(vectorsV2, 'vectorsV2', 'v2')]

  // Results produced by the attestation code (3 of 4 replicas), and variations of them.
  const output: Hex = '0x68656c6c6f'
  const fields = fieldsFor({ verifier: VECTOR_VERIFIER, input: '0x01', output, seq: 7n })
  const good = attest(generated, fields, output, [1, 3, 4])
  list.push({
    name: 'generated: 3-of-4 result (verifyResult path)',
    fields: good.fields,
    signature: good.signature,
    output,
    network: 'generated',
    expected: 'valid',
  })
  list.push({ name: 'generated: other 3-of-4 subset', ...pick(attest(generated, fields, output, [1, 2, 3])), network: 'generated', expected: 'valid' })
  list.push({
    name: 'generated: same result, another network’s key',
    fields: good.fields,
    signature: good.signature,
    network: 'other',
    expected: 'bad-signature',
  })
  const flips: [string, Partial<typeof fields>][] = [
    ['chainId', { chainId: 31338n }],
    ['verifier', { verifier: '0x5fbdb2315678afecb367f032d93f642f64180aa4' }],
    ['codeHash', { codeHash: keccak256('0x01') }],
    ['seq', { seq: 8n }],
    ['inputHash', { inputHash: keccak256('0x02') }],
    ['status', { status: 2 }],
    ['outputHash', { outputHash: keccak256('0x03') }],
    ['stateRootBefore', { stateRootBefore: keccak256('0x04') }],
    ['stateRootAfter', { stateRootAfter: keccak256('0x05') }],
    ['fuelUsed', { fuelUsed: 0n }],
  ]
  for (const [name, change] of flips)
    list.push({
      name: `generated: ${name} flipped`,
      fields: jsonFields({ ...fields, ...change }),
      signature: good.signature,
      network: 'generated',
      expected: 'bad-signature',
    })
  // t-1 = 2 shares "combined" as if t were 2: a valid-looking point that is not the group signature.
  const twoShares = generated.shares.slice(0, 2).map((s) => ({ index: s.index, point: decodeG1(signShare(good.digest, s).signature) }))
  const twoOnly = encodeG1(interpolate(twoShares))
  list.push({ name: 'generated: only t-1 shares', fields: good.fields, signature: twoOnly, network: 'generated', expected: 'bad-signature' })
  // The smallest x with x^3 + 4 a non-square: no curve point at all. The contract gets (x, 1).
  let x = 1n
  while (isSquare(Fp.add(Fp.mul(Fp.sqr(x), x), 4n))) x++
  list.push({
    name: 'generated: x not on the curve',
    fields: good.fields,
    signature: `0x${(x | (1n << 383n)).toString(16).padStart(96, '0')}`,
    signatureEip2537: `0x${x.toString(16).padStart(128, '0')}${'1'.padStart(128, '0')}`,
    network: 'generated',
    expected: 'malformed-point',
  })
  // The smallest x that is on the curve: such points are outside the prime-order subgroup.
  let y = 1n
  while (!isSquare(Fp.add(Fp.mul(Fp.sqr(y), y), 4n))) y++
  list.push({
    name: 'generated: on the curve, outside the subgroup',
    fields: good.fields,
    signature: `0x${(y | (1n << 383n)).toString(16).padStart(96, '0')}`,
    network: 'generated',
    expected: 'not-in-subgroup',
  })

  // Protocol v2: the same result made by function "victim"; presented as "attacker" (same code,
  // seq, input and roots), or with the function id dropped, it no longer verifies.
  const v2 = { ...fields, functionId: 'victim' }
  const goodV2 = attest(generated, v2, output, [2, 3, 4])
  list.push({
    name: 'generated v2: 3-of-4 result (verifyResult path)',
    fields: goodV2.fields,
    signature: goodV2.signature,
    output,
    network: 'generated',
    expected: 'valid',
  })
  list.push({
    name: 'generated v2: result of "victim" presented as "attacker"',
    fields: jsonFields({ ...v2, functionId: 'attacker' }),
    signature: goodV2.signature,
    network: 'generated',
    expected: 'bad-signature',
  })
  list.push({
    name: 'generated v2: function id dropped (read as v1)',
    fields: jsonFields(fields),
    signature: goodV2.signature,
    network: 'generated',
    expected: 'bad-signature',
  })
  list.push({
    name: 'generated v1: function id added (read as v2)',
    fields: jsonFields(v2),
    signature: good.signature,
    network: 'generated',
    expected: 'bad-signature',
  })
  for (const [name, change] of flips)
    list.push({
      name: `generated v2: ${name} flipped`,
      fields: jsonFields({ ...v2, ...change }),
      signature: goodV2.signature,
      network: 'generated',
      expected: 'bad-signature',
    })
  return list
}
const jsonFields = (f: ReturnType<typeof fieldsFor>): ResultFieldsLike => ({
  ...f,
  chainId: f.chainId.toString(),
  seq: f.seq.toString(),
  fuelUsed: f.fuelUsed.toString(),
})
const pick = (a: { fields: ResultFieldsLike; signature: Hex }) => ({ fields: a.fields, signature: a.signature })

let anvil: Anvil
let clients: Clients
const contractFor: Partial<Record<Case['network'], Address>> = {}

beforeAll(async () => {
  anvil = await startAnvil()
  clients = createClients(anvil.rpcUrl)
  // The vectors' verifier address is the first deployment of anvil's first account.
  contractFor.vectors = (await deployNexus(clients, { groupPublicKey: vectors.network.groupPublicKey })).verifier
  expect(contractFor.vectors).toBe(VECTOR_VERIFIER)
  // `verify` checks the signature only (binding is verifyBound's), so any address serves the v2 key.
  contractFor.vectorsV2 = (await deployArtifact(clients, NexusVerifier, [vectorsV2.network.groupPublicKeyEip2537])).address
  contractFor.generated = (await deployArtifact(clients, NexusVerifier, [await eip(generated.network.groupPublicKey)])).address
  contractFor.other = (await deployArtifact(clients, NexusVerifier, [await eip(other.network.groupPublicKey)])).address
})
afterAll(async () => {
  await anvil?.stop()
})
const eip = async (key: Hex) => (await import('../src/encode.ts')).g2ToEip2537(key)

const implementations: Record<string, (c: Case) => Promise<Verdict>> = {
  async typescript(c) {
    const network = networks[c.network]
    try {
      if (c.output !== undefined) {
        const r = await verifyResult(
          {
            protocol: resultProtocol(parseResultFields(c.fields)),
            kind: 'bls',
            fields: c.fields,
            digest: resultDigest(parseResultFields(c.fields)),
            output: c.output,
            signature: c.signature,
            signers: [1, 2, 3],
            groupPublicKey: network.groupPublicKey,
          },
          network,
        )
        if (r.ok) return 'valid'
        throw r.error
      }
      verifyAttestation({ fields: parseResultFields(c.fields), signature: c.signature }, network)
      return 'valid'
    } catch (err) {
      const verdict = byCode[(err as { code?: string }).code ?? '']
      if (!verdict) throw err
      return verdict
    }
  },
  async solidity(c) {
    const signature = c.signatureEip2537 ?? g1ToEip2537(c.signature)
    const call = clients.public.readContract({
      address: contractFor[c.network]!,
      abi: NexusVerifier.abi,
      functionName: 'verify',
      args: [toContractResult(c.fields), signature],
    })
    const name = await revertName(call)
    if (name === undefined) return 'valid'
    const verdict = byError[name]
    if (!verdict) throw new Error(`unexpected revert ${name}`)
    return verdict
  },
}

const all = cases()
describe.each(Object.keys(implementations))('%s verifier', (impl) => {
  test.each(all.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    expect(await implementations[impl]!(c)).toBe(c.expected)
  })
})

test('both vector sets are in the suite: v1 4 valid + 9 invalid, v2 5 valid + 11 invalid', () => {
  const count = (network: Case['network'], valid: boolean) => all.filter((c) => c.network === network && (c.expected === 'valid') === valid).length
  expect([count('vectors', true), count('vectors', false), count('vectorsV2', true), count('vectorsV2', false)]).toEqual([4, 9, 5, 11])
})

test('gas: NexusVerifier.verify of a v2 result against the same result as v1 (same run)', async () => {
  const meter = await deployArtifact(clients, GasMeter)
  const output: Hex = '0x68656c6c6f'
  const base = fieldsFor({ verifier: VECTOR_VERIFIER, input: '0x01', output, seq: 9n })
  const gas: Record<string, { tx: bigint; inner: bigint }> = {}
  for (const [label, f] of [
    ['v1', base],
    ['v2', { ...base, functionId: 'wordfreq-count' }],
  ] as const) {
    const r = attest(generated, f, output)
    const data = encodeFunctionData({ abi: NexusVerifier.abi, functionName: 'verify', args: [toContractResult(r.fields), g1ToEip2537(r.signature)] })
    const {
      result: [inner, ok],
    } = await clients.public.simulateContract({ address: meter.address, abi: GasMeter.abi, functionName: 'measure', args: [contractFor.generated!, data] })
    expect(ok, label).toBe(true)
    gas[label] = { tx: await clients.public.estimateGas({ account: clients.wallet.account, to: contractFor.generated!, data }), inner }
  }
  console.log(`verify gas: v1 tx ${gas.v1!.tx} / inner ${gas.v1!.inner}; v2 tx ${gas.v2!.tx} / inner ${gas.v2!.inner}`)
})

test('the suite has both verdicts and every error kind', () => {
  expect(new Set(all.map((c) => c.expected))).toEqual(new Set(['valid', 'bad-signature', 'malformed-point', 'not-in-subgroup']))
  expect(toHex(all.length)).toBeDefined()
})
