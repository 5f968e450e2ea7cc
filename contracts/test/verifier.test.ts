// NexusVerifier on a real Prague chain: conformance vectors, field flips, wrong keys, malformed
// points, binding checks and key rotation.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { encodeFunctionData, keccak256, toHex, type Address, type Hex } from 'viem'
import { startAnvil, type Anvil } from '../src/anvil.ts'
import { createClients, deployArtifact, deployNexus, type Clients } from '../src/deploy.ts'
import { g1ToEip2537, g2ToEip2537, PointEncodingError } from '../src/encode.ts'
import * as NexusVerifier from '../generated/NexusVerifier.ts'
import * as GasMeter from '../generated/GasMeter.ts'
import { groupSecret, publicKeyEip2537, result, revertName, signEip2537, vectors } from '@nexus/testkit/contracts'

let anvil: Anvil
let clients: Clients
let verifier: Address
const [valid0] = vectors.valid
if (!valid0) throw new Error('no valid vectors')

beforeAll(async () => {
  anvil = await startAnvil()
  clients = createClients(anvil.rpcUrl)
  ;({ verifier } = await deployNexus(clients, { groupPublicKey: vectors.network.groupPublicKey }))
})
afterAll(async () => {
  await anvil?.stop()
})

const read = (functionName: 'verify' | 'verifyBound', fields: Parameters<typeof result>[0], sig: Hex, at = verifier) =>
  clients.public.readContract({ address: at, abi: NexusVerifier.abi, functionName, args: [result(fields), sig] })

describe('encodings', () => {
  test('compressed → EIP-2537 matches the vectors', () => {
    expect(g2ToEip2537(vectors.network.groupPublicKey)).toBe(vectors.network.groupPublicKeyEip2537)
    for (const v of vectors.valid) expect(g1ToEip2537(v.signature)).toBe(v.signatureEip2537)
    for (const v of vectors.invalid) if (v.signatureEip2537) expect(g1ToEip2537(v.signature)).toBe(v.signatureEip2537)
    expect(() => g1ToEip2537(vectors.invalid.find((v) => v.why.includes('47 bytes'))!.signature)).toThrow(PointEncodingError)
  })
})

describe('NexusVerifier: conformance vectors', () => {
  test('deploys at the vectors’ verifier address and holds the group key', async () => {
    expect(verifier.toLowerCase()).toBe(valid0.fields.verifier.toLowerCase())
    const key = await clients.public.readContract({ address: verifier, abi: NexusVerifier.abi, functionName: 'groupPublicKey' })
    expect(key).toBe(vectors.network.groupPublicKeyEip2537)
  })

  test.each(vectors.valid.map((v, i) => [i, v] as const))('valid #%i: digest, hash-to-G1 and signature', async (_, v) => {
    const r = result(v.fields)
    expect(await clients.public.readContract({ address: verifier, abi: NexusVerifier.abi, functionName: 'digest', args: [r] })).toBe(v.digest)
    expect(await clients.public.readContract({ address: verifier, abi: NexusVerifier.abi, functionName: 'hashToG1', args: [v.digest] })).toBe(v.hashToG1Eip2537)
    expect(await read('verify', v.fields, v.signatureEip2537)).toBe(v.digest)
  })

  const expected: Record<string, string> = {
    'field flipped: fuelUsed + 1': 'InvalidSignature',
    'field flipped: outputHash last bit': 'InvalidSignature',
    'field flipped: verifier address': 'InvalidSignature',
    'only t-1 shares combined': 'InvalidSignature',
    'a single share presented as the group signature': 'InvalidSignature',
    'signature of another result': 'InvalidSignature',
    'point not in the G1 subgroup': 'PointNotInSubgroup',
    'malformed: 47 bytes': 'InvalidPointLength',
    'malformed: infinity': 'MalformedPoint',
  }
  test.each(vectors.invalid.map((v) => [v.why, v] as const))('invalid: %s', async (why, v) => {
    expect(expected[why], `no expectation for vector "${why}"`).toBeDefined()
    // The 47-byte vector cannot be decompressed; send 127 raw bytes so the contract sees a bad length.
    const sig = v.signatureEip2537 ?? (why.includes('47 bytes') ? (`0x${'11'.repeat(127)}` as Hex) : g1ToEip2537(v.signature))
    expect(await revertName(read('verify', v.fields, sig))).toBe(expected[why])
  })
})

describe('NexusVerifier: rejections', () => {
  const base = result(valid0.fields)
  const flips: [string, Partial<ReturnType<typeof result>>][] = [
    ['chainId', { chainId: base.chainId + 1n }],
    ['verifier', { verifier: '0x5fbdb2315678afecb367f032d93f642f64180aa4' }],
    ['codeHash', { codeHash: keccak256('0x01') }],
    ['seq', { seq: base.seq + 1n }],
    ['inputHash', { inputHash: keccak256('0x02') }],
    ['status', { status: 1 }],
    ['outputHash', { outputHash: keccak256('0x03') }],
    ['stateRootBefore', { stateRootBefore: keccak256('0x04') }],
    ['stateRootAfter', { stateRootAfter: keccak256('0x05') }],
    ['fuelUsed', { fuelUsed: base.fuelUsed - 1n }],
  ]
  test.each(flips)('flipping %s → InvalidSignature', async (_, change) => {
    expect(await revertName(read('verify', { ...base, ...change }, valid0.signatureEip2537))).toBe('InvalidSignature')
  })

  test('status out of range → InvalidStatus', async () => {
    expect(await revertName(read('verify', { ...base, status: 4 }, valid0.signatureEip2537))).toBe('InvalidStatus')
  })

  test('a wrong key → InvalidSignature', async () => {
    const other = await deployArtifact(clients, NexusVerifier, [publicKeyEip2537(12345n)])
    expect(await revertName(read('verify', valid0.fields, valid0.signatureEip2537, other.address))).toBe('InvalidSignature')
  })

  test('t-1 shares → InvalidSignature', async () => {
    const shares = vectors.network.shares.slice(0, 2)
    const sig = signEip2537(groupSecret(shares), valid0.digest)
    expect(await revertName(read('verify', valid0.fields, sig))).toBe('InvalidSignature')
    const full = signEip2537(groupSecret(vectors.network.shares.slice(1, 4)), valid0.digest)
    expect(full).toBe(valid0.signatureEip2537)
  })

  const p = 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaabn
  const enc = (x: bigint, y: bigint) => `0x${x.toString(16).padStart(128, '0')}${y.toString(16).padStart(128, '0')}` as Hex
  const sigY = BigInt(`0x${valid0.signatureEip2537.slice(2 + 128)}`)
  const sigX = BigInt(`0x${valid0.signatureEip2537.slice(2, 2 + 128)}`)
  test.each([
    ['not on the curve', enc(1n, 1n), 'MalformedPoint'],
    ['x ≥ p', enc(sigX + p, sigY), 'MalformedPoint'],
    ['padding byte set', enc(sigX | (1n << 400n), sigY), 'MalformedPoint'],
    ['infinity', enc(0n, 0n), 'MalformedPoint'],
    ['129 bytes', `${valid0.signatureEip2537}00` as Hex, 'InvalidPointLength'],
    ['empty', '0x' as Hex, 'InvalidPointLength'],
  ])('malformed signature (%s)', async (_, sig, error) => {
    expect(await revertName(read('verify', valid0.fields, sig))).toBe(error)
  })

  test('a bad point reverts with its named error without eating the gas limit', async () => {
    const meter = await deployArtifact(clients, GasMeter)
    const bad = vectors.invalid.find((v) => v.why.includes('subgroup'))!
    for (const [sig, label] of [
      [bad.signatureEip2537!, 'not in subgroup'],
      [enc(1n, 1n), 'not on curve'],
    ] as const) {
      const data = encodeFunctionData({ abi: NexusVerifier.abi, functionName: 'verify', args: [result(bad.fields), sig] })
      const {
        result: [gasUsed, ok],
      } = await clients.public.simulateContract({
        account: clients.wallet.account,
        address: meter.address,
        abi: GasMeter.abi,
        functionName: 'measure',
        args: [verifier, data],
        gas: 10_000_000n,
      })
      expect(ok, label).toBe(false)
      expect(gasUsed, label).toBeLessThan(200_000n)
    }
  })
})

describe('NexusVerifier: binding', () => {
  test('verifyBound accepts a result made for this chain and verifier', async () => {
    expect(await read('verifyBound', valid0.fields, valid0.signatureEip2537)).toBe(valid0.digest)
  })
  test('verifyBound rejects a validly signed result for another chain', async () => {
    const other = vectors.valid.find((v) => BigInt(v.fields.chainId) !== 31337n)!
    expect(await read('verify', other.fields, other.signatureEip2537)).toBe(other.digest)
    expect(await revertName(read('verifyBound', other.fields, other.signatureEip2537))).toBe('WrongChain')
  })
  test('verifyBound rejects a result for another verifier deployment', async () => {
    const twin = await deployArtifact(clients, NexusVerifier, [vectors.network.groupPublicKeyEip2537])
    expect(await read('verify', valid0.fields, valid0.signatureEip2537, twin.address)).toBe(valid0.digest)
    expect(await revertName(read('verifyBound', valid0.fields, valid0.signatureEip2537, twin.address))).toBe('WrongVerifier')
  })
})

describe('NexusVerifier: key rotation', () => {
  test('rotates on a message signed by the current key, emits KeyRotated, and cannot be replayed', async () => {
    const own = await deployArtifact(clients, NexusVerifier, [vectors.network.groupPublicKeyEip2537])
    const oldSecret = groupSecret(vectors.network.shares.slice(0, 3))
    const newSecret = 0x1234567890abcdefn
    const newKey = publicKeyEip2537(newSecret)
    const rd = (key: Hex) => clients.public.readContract({ address: own.address, abi: NexusVerifier.abi, functionName: 'rotationDigest', args: [key] })
    const message = await rd(newKey)

    // Signed by the wrong key (the new one itself) → rejected.
    const forged = signEip2537(newSecret, message)
    expect(
      await revertName(clients.public.simulateContract({ address: own.address, abi: NexusVerifier.abi, functionName: 'rotateKey', args: [newKey, forged] })),
    ).toBe('InvalidSignature')

    const sig = signEip2537(oldSecret, message)
    const hash = await clients.wallet.writeContract({ address: own.address, abi: NexusVerifier.abi, functionName: 'rotateKey', args: [newKey, sig] })
    const receipt = await clients.public.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    const events = await clients.public.getContractEvents({
      address: own.address,
      abi: NexusVerifier.abi,
      eventName: 'KeyRotated',
      fromBlock: receipt.blockNumber,
    })
    expect(events).toHaveLength(1)
    expect(events[0]!.args).toMatchObject({ epoch: 1n, oldKeyHash: keccak256(vectors.network.groupPublicKeyEip2537), newKeyHash: keccak256(newKey), newKey })
    expect(await clients.public.readContract({ address: own.address, abi: NexusVerifier.abi, functionName: 'groupPublicKey' })).toBe(newKey)

    // Old signatures no longer verify; new ones do.
    expect(await revertName(read('verify', valid0.fields, valid0.signatureEip2537, own.address))).toBe('InvalidSignature')
    expect(await read('verify', valid0.fields, signEip2537(newSecret, valid0.digest), own.address)).toBe(valid0.digest)

    // Replaying the same rotation (epoch moved on) fails.
    expect(
      await revertName(clients.public.simulateContract({ address: own.address, abi: NexusVerifier.abi, functionName: 'rotateKey', args: [newKey, sig] })),
    ).toBe('InvalidSignature')
  })

  test('refuses a malformed or identity new key', async () => {
    const oldSecret = groupSecret(vectors.network.shares.slice(0, 3))
    for (const [key, error] of [
      [`0x${'00'.repeat(256)}`, 'MalformedPoint'],
      [`0x${'00'.repeat(255)}01`, 'MalformedPoint'],
      [`0x${'00'.repeat(96)}`, 'InvalidPointLength'],
    ] as [Hex, string][]) {
      const message = await clients.public.readContract({ address: verifier, abi: NexusVerifier.abi, functionName: 'rotationDigest', args: [key] })
      const sig = signEip2537(oldSecret, message)
      expect(
        await revertName(clients.public.simulateContract({ address: verifier, abi: NexusVerifier.abi, functionName: 'rotateKey', args: [key, sig] })),
        toHex(key.length),
      ).toBe(error)
    }
  })
})
