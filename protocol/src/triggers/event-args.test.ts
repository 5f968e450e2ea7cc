// The decoded-event payload, fuzzed: for random ABI events (every ABI type the decoder knows, nested
// tuples and arrays, indexed static and dynamic inputs, anonymous events, unnamed inputs) the
// gateway's path (eventArgs → encodeTriggerPayload → bytes) and the guest's (JSON.parse →
// reviveEventArgs) give exactly viem's strict decodeEventLog, and the bytes are canonical.
import { createHash } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { decodeEventLog, encodeAbiParameters, keccak256, toBytes, toEventSelector, type AbiEvent, type AbiParameter, type Hex } from 'viem'
import { eventArgs, eventPayloadArgs, reviveEventArgs } from './event-args.ts'
import { encodeTriggerPayload, type EventPayload } from './payload.ts'

/** A seeded stream (SHA-256 of seed/counter): the same cases on every run and machine. */
function prng(seed: string) {
  let counter = 0
  let pool = Buffer.alloc(0)
  const take = (n: number) => {
    while (pool.length < n) pool = Buffer.concat([pool, createHash('sha256').update(`${seed}/${counter++}`).digest()])
    const out = pool.subarray(0, n)
    pool = pool.subarray(n)
    return out
  }
  const next = () => take(4).readUInt32BE(0) / 2 ** 32
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!
  const hex = (bytes: number): Hex => `0x${take(bytes).toString('hex')}`
  return { next, int, pick, hex }
}
type Rng = ReturnType<typeof prng>

type Param = AbiParameter & { components?: Param[] }
const SIZES = [8, 16, 24, 32, 40, 48, 56, 64, 128, 160, 256]
const CHARS = ['a', 'Z', '0', ' ', '"', '\\', '\n', '\t', '\u0001', 'é', '€', '😀', '中', '/', '<']

function randomType(r: Rng, depth: number): Param {
  const leaf = depth >= 3 || r.next() < 0.55
  if (leaf) {
    switch (r.int(7)) {
      case 0:
        return { type: `uint${r.pick(SIZES)}` }
      case 1:
        return { type: `int${r.pick(SIZES)}` }
      case 2:
        return { type: 'address' }
      case 3:
        return { type: 'bool' }
      case 4:
        return { type: 'bytes' }
      case 5:
        return { type: `bytes${1 + r.int(32)}` }
      default:
        return { type: 'string' }
    }
  }
  if (r.next() < 0.5) {
    const inner = randomType(r, depth + 1)
    return { ...inner, type: `${inner.type}[${r.next() < 0.5 ? '' : 1 + r.int(3)}]` }
  }
  const allNamed = r.next() < 0.7
  const components = Array.from({ length: 1 + r.int(3) }, (_, i) => {
    const c = randomType(r, depth + 1)
    return allNamed || r.next() < 0.5 ? { ...c, name: `c${i}` } : c
  })
  return { type: 'tuple', components }
}

function randomValue(r: Rng, p: Param): unknown {
  const array = p.type.match(/^(.*)\[(\d*)\]$/)
  if (array) {
    const element = { ...p, type: array[1]! }
    return Array.from({ length: array[2] ? Number(array[2]) : r.int(4) }, () => randomValue(r, element))
  }
  if (p.type === 'tuple') return p.components!.map((c) => randomValue(r, c))
  const bits = Number(p.type.replace(/^u?int/, ''))
  const edge = r.int(4)
  if (p.type.startsWith('uint')) return edge === 0 ? 0n : edge === 1 ? (1n << BigInt(bits)) - 1n : BigInt(r.hex(bits / 8)) >> BigInt(r.int(bits))
  if (p.type.startsWith('int')) {
    const half = 1n << BigInt(bits - 1)
    return edge === 0 ? -half : edge === 1 ? half - 1n : (BigInt(r.hex(bits / 8)) % half) * (r.next() < 0.5 ? -1n : 1n)
  }
  if (p.type === 'address') return r.hex(20)
  if (p.type === 'bool') return r.next() < 0.5
  if (p.type === 'bytes') return r.hex(r.int(70))
  if (p.type.startsWith('bytes')) return r.hex(Number(p.type.slice(5)))
  return Array.from({ length: r.int(12) }, () => r.pick(CHARS)).join('')
}

const hashedInTopic = (p: Param) => p.type === 'string' || p.type === 'bytes' || p.type === 'tuple' || p.type.endsWith(']')

/** A random event and one log of it, encoded with viem. */
function randomLog(r: Rng, k: number) {
  const anonymous = r.next() < 0.2
  const unnamed = r.next() < 0.2
  let indexedLeft = anonymous ? 4 : 3
  const inputs = Array.from({ length: 1 + r.int(5) }, (_, i) => {
    const indexed = indexedLeft > 0 && r.next() < 0.4
    if (indexed) indexedLeft--
    const p = randomType(r, 0)
    return { ...p, indexed, ...(unnamed && r.next() < 0.6 ? {} : { name: `a${i}` }) }
  })
  const abi = { type: 'event', name: `E${k}`, anonymous, inputs } as AbiEvent
  const values = inputs.map((p) => randomValue(r, p))
  const argTopics = inputs.flatMap((p, i) => {
    if (!p.indexed) return []
    if (p.type === 'string') return [keccak256(toBytes(values[i] as string))]
    if (p.type === 'bytes') return [keccak256(values[i] as Hex)]
    // viem's encodeEventTopics refuses indexed arrays and tuples; any 32 bytes stand for their hash.
    if (hashedInTopic(p)) return [r.hex(32)]
    return [encodeAbiParameters([p], [values[i]])]
  })
  const plain = inputs.map((p, i) => [p, values[i]] as const).filter(([p]) => !p.indexed)
  const data = encodeAbiParameters(
    plain.map(([p]) => p),
    plain.map(([, v]) => v),
  )
  // viem cannot decode an anonymous log (it finds the item by topic0): decode it as its named twin.
  const twin = { ...abi, anonymous: false }
  const expected = decodeEventLog({ abi: [twin], topics: [toEventSelector(twin), ...argTopics], data, strict: true }).args
  const topics = anonymous ? argTopics : [toEventSelector(abi), ...argTopics]
  return { abi, topics, data, expected }
}

const payloadOf = (topics: Hex[], data: Hex, fields: object): EventPayload => ({
  kind: 'event',
  chainId: '31337',
  blockNumber: '12',
  blockHash: `0x${'ab'.repeat(32)}`,
  logIndex: 3,
  transactionHash: `0x${'cd'.repeat(32)}`,
  transactionIndex: 1,
  address: `0x${'12'.repeat(20)}`,
  topics,
  data,
  ...fields,
})

describe('event args: gateway → payload bytes → guest', () => {
  test('500 random events decode to exactly what viem decodes, through canonical bytes', () => {
    const r = prng('issue-18')
    const seen = new Set<string>()
    for (let k = 0; k < 500; k++) {
      const { abi, topics, data, expected } = randomLog(r, k)
      for (const p of abi.inputs as readonly (Param & { indexed?: boolean })[]) {
        seen.add(p.type.replace(/\d+/g, 'N'))
        if (p.indexed) seen.add(`indexed ${p.type.replace(/\d+/g, 'N')}`)
        if (p.components?.some((c) => c.components)) seen.add('nested tuple')
      }
      if (abi.anonymous) seen.add('anonymous')
      if (abi.inputs.some((p) => !p.name)) seen.add('unnamed')
      const bytes = encodeTriggerPayload(payloadOf(topics, data, { args: eventArgs(abi, topics, data) }))

      const parsed = JSON.parse(new TextDecoder().decode(bytes)) as EventPayload
      expect(Object.keys(parsed)).toEqual([
        'kind',
        'chainId',
        'blockNumber',
        'blockHash',
        'logIndex',
        'transactionHash',
        'transactionIndex',
        'address',
        'topics',
        'data',
        'args',
      ])
      expect(reviveEventArgs(abi, parsed.args!), JSON.stringify(abi)).toStrictEqual(expected)

      // Canonical: upper-case hex in, keys in another order, encoded again → the same bytes.
      const upper = (h: Hex) => `0x${h.slice(2).toUpperCase()}` as Hex
      const shuffled = Object.fromEntries(Object.entries(payloadOf(topics.map(upper), upper(data), {})).reverse()) as EventPayload
      const again = encodeTriggerPayload({ ...shuffled, args: eventArgs(abi, shuffled.topics, shuffled.data) })
      expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true)
    }
    // The fuzzer reached what the issue names (a changed seed must still cover them).
    for (const kind of ['uintN', 'intN', 'address', 'bool', 'bytes', 'bytesN', 'string', 'tuple', 'uintN[]', 'string[N]', 'tuple[]', 'tuple[N]'])
      expect(seen, kind).toContain(kind)
    for (const kind of [
      'indexed string',
      'indexed bytes',
      'indexed tuple',
      'indexed address',
      'indexed uintN',
      'indexed bytesN',
      'nested tuple',
      'anonymous',
      'unnamed',
    ])
      expect(seen, kind).toContain(kind)
  })

  test('widths: intN/uintN of at most 48 bits revive as numbers, wider ones as bigints; addresses checksummed', () => {
    const abi = {
      type: 'event',
      name: 'W',
      inputs: [
        { name: 'small', type: 'int48' },
        { name: 'big', type: 'uint56' },
        { name: 'who', type: 'address', indexed: true },
      ],
    } as const satisfies AbiEvent
    const who = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'
    const topics = [toEventSelector(abi), encodeAbiParameters([{ type: 'address' }], [who])]
    const data = encodeAbiParameters(abi.inputs.slice(0, 2), [-(2 ** 47), 2n ** 56n - 1n])
    const args = eventArgs(abi, topics, data)
    expect(args).toEqual([String(-(2 ** 47)), String(2n ** 56n - 1n), '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'])
    expect(reviveEventArgs(abi, args)).toStrictEqual({ small: -(2 ** 47), big: 2n ** 56n - 1n, who: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' })
    // A word with bits above the address's 20 bytes: viem takes the low 20 bytes, and so does eventArgs.
    const dirty = [topics[0]!, `0x${'ff'.repeat(12)}${who.slice(2)}` as Hex]
    expect(eventArgs(abi, dirty, data)[2]).toBe(decodeEventLog({ abi: [abi], topics: dirty as [Hex, ...Hex[]], data }).args.who)
  })

  test('a log that does not decode is delivered with decodeError, canonically, and nothing else', () => {
    const abi = { type: 'event', name: 'T', inputs: [{ name: 'v', type: 'uint256' }] } as const satisfies AbiEvent
    const topic0 = toEventSelector(abi)
    const cases: Hex[][] = [
      [topic0, `0x${'11'.repeat(32)}`], // one topic too many
      [topic0], // data too short below
    ]
    expect(eventPayloadArgs(abi, cases[0]!, encodeAbiParameters([{ type: 'uint256' }], [1n]))).toEqual({
      decodeError: 'log of T has 2 topics, the event has 1',
    })
    const short = eventPayloadArgs(abi, cases[1]!, '0x01')
    expect(short).toEqual({ decodeError: expect.stringContaining('too small') })
    const bytes = encodeTriggerPayload(payloadOf(cases[1]! as Hex[], '0x01', short))
    expect(Object.keys(JSON.parse(new TextDecoder().decode(bytes)))).toEqual([...Object.keys(payloadOf([], '0x', {})), 'decodeError'])
    // A bool that is neither 0 nor 1 fails too.
    const flag = { type: 'event', name: 'F', inputs: [{ name: 'ok', type: 'bool' }] } as const satisfies AbiEvent
    expect(eventPayloadArgs(flag, [toEventSelector(flag)], `0x${'00'.repeat(31)}02`)).toHaveProperty('decodeError')
    // Indexed words decode in one call: a topic that is not 32 bytes must fail, not shift the next.
    const pair = {
      type: 'event',
      name: 'P',
      inputs: [
        { name: 'a', type: 'uint256', indexed: true },
        { name: 'b', type: 'uint256', indexed: true },
      ],
    } as const satisfies AbiEvent
    expect(eventPayloadArgs(pair, [toEventSelector(pair), '0x01', `0x${'00'.repeat(31)}02`], '0x')).toEqual({
      decodeError: 'log of P: the topic of indexed argument a is not 32 bytes',
    })
    expect(eventPayloadArgs(pair, [toEventSelector(pair), `0x${'00'.repeat(31)}01`, `0x${'00'.repeat(31)}02`], '0x')).toEqual({ args: ['1', '2'] })
  })

  test('a payload without args encodes as it did before the gateway decoded', () => {
    const bytes = encodeTriggerPayload(payloadOf([`0x${'aa'.repeat(32)}`], '0x', {}))
    expect(new TextDecoder().decode(bytes)).toBe(
      `{"kind":"event","chainId":"31337","blockNumber":"12","blockHash":"0x${'ab'.repeat(32)}","logIndex":3,"transactionHash":"0x${'cd'.repeat(32)}","transactionIndex":1,"address":"0x${'12'.repeat(20)}","topics":["0x${'aa'.repeat(32)}"],"data":"0x"}`,
    )
  })
})
