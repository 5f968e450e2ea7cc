// decodeEventLogArgs (the gateway's decoder; the guest's for payloads without args) gives exactly
// what viem's decodeEventLog gives (strict mode).
import { describe, expect, test } from 'vitest'
import { decodeEventLog, encodeAbiParameters, encodeEventTopics, erc20Abi, parseAbi, type AbiEvent, type Hex } from 'viem'
import { decodeEventLogArgs } from './event-args.ts'

const abi = parseAbi([
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'event Mixed(string indexed label, bytes32 indexed id, (uint64 a, string b) info, int8[] deltas, bool ok)',
  'event Anon(address indexed, uint256)',
  'event Order(address indexed from, string indexed label, uint256 value)',
])
const event = (name: string) => abi.find((e) => e.name === name) as AbiEvent

describe('decodeEventLogArgs', () => {
  test('matches viem on static, dynamic-indexed, tuple, array and unnamed arguments', () => {
    const cases: { name: string; topics: Hex[]; data: Hex }[] = [
      {
        name: 'Transfer',
        topics: encodeEventTopics({
          abi: erc20Abi,
          eventName: 'Transfer',
          args: { from: '0x70997970c51812dc3a010c7d01b50e20d17dc79c', to: '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc' },
        }) as Hex[],
        data: encodeAbiParameters([{ type: 'uint256' }], [123456789012345678901234567890n]),
      },
      {
        name: 'Mixed',
        topics: encodeEventTopics({ abi, eventName: 'Mixed', args: { label: 'hello', id: `0x${'ab'.repeat(32)}` } }) as Hex[],
        data: encodeAbiParameters(
          event('Mixed').inputs.filter((i) => !i.indexed),
          [{ a: 7n, b: 'x' }, [-1, 2, -128], true],
        ),
      },
      {
        name: 'Anon',
        topics: [
          ...(encodeEventTopics({ abi, eventName: 'Anon' }) as Hex[]),
          encodeAbiParameters([{ type: 'address' }], ['0x70997970c51812dc3a010c7d01b50e20d17dc79c']),
        ],
        data: encodeAbiParameters([{ type: 'uint256' }], [5n]),
      },
      {
        // A word before a hashed value among the indexed inputs: the keys keep the input order.
        name: 'Order',
        topics: encodeEventTopics({ abi, eventName: 'Order', args: { from: '0x70997970c51812dc3a010c7d01b50e20d17dc79c', label: 'héllo' } }) as Hex[],
        data: encodeAbiParameters([{ type: 'uint256' }], [9n]),
      },
    ]
    for (const c of cases) {
      const viem = decodeEventLog({ abi, topics: c.topics as [Hex, ...Hex[]], data: c.data, strict: true })
      const ours = decodeEventLogArgs(event(c.name), c.topics, c.data)
      expect(ours).toEqual(viem.args)
      // Handlers see (and serialise) the record's keys in order: the same order as viem's.
      expect(Object.keys(ours)).toEqual(Object.keys(viem.args as object))
    }
  })
  test('too few or too many topics and short data are errors', () => {
    const t = event('Transfer')
    const topics = encodeEventTopics({
      abi: erc20Abi,
      eventName: 'Transfer',
      args: { from: '0x70997970c51812dc3a010c7d01b50e20d17dc79c', to: '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc' },
    }) as Hex[]
    const data = encodeAbiParameters([{ type: 'uint256' }], [1n])
    expect(() => decodeEventLogArgs(t, topics.slice(0, 2), data)).toThrow('too few topics')
    expect(() => decodeEventLogArgs(t, [...topics, topics[1]!], data)).toThrow('has 4 topics')
    expect(() => decodeEventLogArgs(t, topics, '0x01')).toThrow()
  })
})
