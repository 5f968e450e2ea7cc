import { describe, expect, test } from 'vitest'
import { zk } from './declare.ts'
import { validateCircuitInputs } from './inputs.ts'
import { BN254_R, computeZkDigest } from './result.ts'
import { parseZkResult, verifyZkResult } from './verify.ts'

const fn = zk({
  circuit: 'demo',
  signals: { a: 'field', bits: { type: 'bit', length: 2 }, b: 'uint8' },
  publicSignals: ['out', 'a'] as const,
  inputs: (req: { a: string | number; bits: number[]; b: number }) => ({ a: req.a, bits: req.bits, b: req.b }),
})

describe('zk declaration', () => {
  test('maps and normalises a request to decimal-string circuit inputs', () => {
    expect(fn.kind).toBe('zk')
    expect(fn.mapInputs({ a: '0x10', bits: [1, 0], b: 255 })).toEqual({ a: '16', bits: ['1', '0'], b: '255' })
    expect(fn.decodeOutput(['5', '16'])).toEqual({ out: '5', a: '16' })
  })

  test('invalid inputs are one typed error listing every problem', () => {
    let err: unknown
    try {
      fn.mapInputs({ a: BN254_R.toString() as never, bits: [2, 0], b: 256 })
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ name: 'ZkInputError', code: 'NEXUS_ZK_INVALID_INPUT' })
    expect((err as Error).message).toMatchInlineSnapshot(`
      "Invalid circuit inputs.

      - a: 21888242871839275222246405745257275088548364400416034343698204186575808495617 is out of range for field
      - bits[0]: 2 is out of range for bit
      - b: 256 is out of range for uint8
      Docs: docs/zk.md#inputs"
    `)
    expect(() => validateCircuitInputs({ x: 'field' }, { x: 1, y: 2 })).toThrow(/y: not an input signal/)
    expect(() => validateCircuitInputs({ x: 'field' }, {})).toThrow(/x: missing/)
    expect(() => validateCircuitInputs({ x: 'field' }, { x: 1.5 })).toThrow(/not a safe integer/)
    expect(() => fn.mapInputs(null as never)).toThrow(/could not be mapped/)
    expect(() => fn.decodeOutput(['1'])).toThrow(/produced 1 public signals, the declaration names 2/)
  })
})

describe('zk result parsing', () => {
  const good = {
    protocol: 'nexus.zk.v1',
    kind: 'zk',
    circuitId: 'demo',
    verificationKeyHash: `0x${'ab'.repeat(32)}`,
    proof: {
      pi_a: ['1', '2', '1'],
      pi_b: [
        ['1', '2'],
        ['3', '4'],
        ['1', '0'],
      ],
      pi_c: ['1', '2', '1'],
      protocol: 'groth16',
      curve: 'bn128',
    },
    publicSignals: ['1', '2'],
    output: {},
  }

  test('names the malformed field', async () => {
    expect(parseZkResult(good)).toBe(good)
    expect(() => parseZkResult({ ...good, publicSignals: ['01'] })).toThrow(/publicSignals\[0\] must be a decimal string below r/)
    expect(() => parseZkResult({ ...good, proof: { ...good.proof, pi_b: [['1']] } })).toThrow(/proof.pi_b must be an array of 3/)
    const r = await verifyZkResult({ ...good, verificationKeyHash: '0x12' })
    expect(!r.ok && r.error.code).toBe('NEXUS_ZK_MALFORMED_RESULT')
  })

  test('an unknown key is a clear error, not a crash', async () => {
    const r = await verifyZkResult(good, { keyDir: '/nonexistent' })
    expect(!r.ok && r.error.code).toBe('NEXUS_ZK_UNKNOWN_KEY')
  })

  test('the digest binds circuit, key and every public signal', () => {
    const d = computeZkDigest(good as never)
    expect(d).toMatch(/^0x[0-9a-f]{64}$/)
    expect(computeZkDigest({ ...good, publicSignals: ['1', '3'] } as never)).not.toBe(d)
    expect(computeZkDigest({ ...good, circuitId: 'other' } as never)).not.toBe(d)
  })
})
