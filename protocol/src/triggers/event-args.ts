// An event's arguments, decoded once outside the guest. Decoding a log with viem inside the guest's
// interpreter (QuickJS) cost most of an @onEvent invocation's fuel: ABI cursor walks and an
// EIP-55 keccak per address, on every replica, for every event. The gateway now decodes when it
// appends the invocation and writes the result into the payload in a canonical JSON form
// (`EventArgsJson`, covered by `inputHash`); the guest only revives it into viem's value types.
//
// Canonical form, positional in the ABI's input order (docs/protocol.md):
//   uintN/intN        decimal string            address   EIP-55 checksummed string (viem's)
//   bool              JSON boolean              string    the string
//   bytes, bytesN     lowercase 0x-hex          T[], T[k] JSON array of T
//   tuple             JSON array, component order (positional, whatever the names)
//   indexed string, bytes, array or tuple: the topic (lowercase bytes32 hex): the log holds only
//   the keccak256 of the value, which is what viem's strict decodeEventLog gives too.
import { decodeAbiParameters, type AbiEvent, type AbiParameter, type Hex } from 'viem'
import { keccak256Bytes } from '../hash/keccak.ts'

export type EventArgJson = string | boolean | EventArgJson[]
/** One entry per ABI input, in input order. */
export type EventArgsJson = EventArgJson[]

type Component = AbiParameter & { components?: readonly AbiParameter[] }

/** Solidity stores an indexed reference-type value as its keccak256: the topic is all there is. */
const hashedInTopic = (p: AbiParameter) => p.type === 'string' || p.type === 'bytes' || p.type === 'tuple' || p.type.endsWith(']')

/** `T[k]` / `T[]` → the element parameter (`T`, same components), else undefined. */
function elementOf(p: Component): Component | undefined {
  if (!p.type.endsWith(']')) return undefined
  return { ...p, type: p.type.slice(0, p.type.lastIndexOf('[')) }
}

/** viem's rule: a tuple decodes to an object keyed by component name only when every component is named. */
const namedTuple = (components: readonly AbiParameter[]) => components.length > 0 && components.every((c) => c.name)

/** viem's rule: intN/uintN of at most 48 bits decode to a number, wider ones to a bigint. */
const bitsOf = (type: string) => Number.parseInt(type.split('int')[1] || '256', 10)

/**
 * Decodes a log's topics and data with the event's ABI item, like viem's `decodeEventLog` in strict
 * mode, minus its first step (finding the item by hashing every candidate's signature: the trigger
 * already matched topic0 to it), plus a check viem leaves out: no topics beyond the indexed inputs
 * (ERC-721's Transfer shares ERC-20's selector with one more indexed input). Anonymous events have
 * no selector topic. Named inputs give a record, any unnamed one an array (viem's rule).
 */
export function decodeEventLogArgs(abi: AbiEvent, topics: readonly Hex[], data: Hex): Record<string, unknown> | unknown[] {
  const unnamed = abi.inputs.some((p) => !p.name)
  const args: Record<string | number, unknown> = unnamed ? ([] as unknown as Record<number, unknown>) : {}
  const put = (p: AbiParameter, index: number, value: unknown) => {
    args[unnamed ? index : p.name!] = value
  }
  let topic = abi.anonymous ? 0 : 1
  // Indexed value types are one 32-byte word each, like a run of static parameters: their topics
  // decode in one call (one viem cursor per log instead of one per topic). The record still gets its
  // keys in input order: the order is part of what a handler sees (and serialises).
  const indexed: { p: AbiParameter; i: number; topic: Hex; word: boolean }[] = []
  abi.inputs.forEach((p, i) => {
    if (!p.indexed) return
    const value = topics[topic++]
    if (value === undefined) throw new Error(`log of ${abi.name} has too few topics for indexed argument ${p.name ?? i}`)
    const word = !hashedInTopic(p)
    if (word && !/^0x[0-9a-fA-F]{64}$/.test(value)) throw new Error(`log of ${abi.name}: the topic of indexed argument ${p.name ?? i} is not 32 bytes`)
    indexed.push({ p, i, topic: value, word })
  })
  if (topic !== topics.length) throw new Error(`log of ${abi.name} has ${topics.length} topics, the event has ${topic}`)
  const words = indexed.filter((x) => x.word)
  const wordValues =
    words.length === 0
      ? []
      : decodeAbiParameters(
          words.map((w) => w.p),
          `0x${words.map((w) => w.topic.slice(2)).join('')}`,
        )
  let k = 0
  for (const x of indexed) put(x.p, x.i, x.word ? wordValues[k++] : x.topic)
  const plain = abi.inputs.map((p, i) => [p, i] as const).filter(([p]) => !p.indexed)
  if (plain.length > 0) {
    const values = decodeAbiParameters(
      plain.map(([p]) => p),
      data,
    )
    plain.forEach(([p, i], k) => put(p, i, values[k]))
  }
  return args
}

/**
 * `p` with every `address` (in arrays and tuples too) read as `uint160`: viem checksums each address
 * it decodes with its JS keccak (≈ 10× the protocol's WebAssembly one, and most of the gateway's
 * decoding time), so eventArgs decodes the word and checksums it itself.
 */
function addressesAsWords<P extends Component>(p: P): P {
  const type = p.type.replace(/^address(?=\[|$)/, 'uint160')
  return { ...p, type, ...(p.components ? { components: p.components.map(addressesAsWords) } : {}) }
}

const MASK_160 = (1n << 160n) - 1n
const ascii = new TextEncoder()

const checksums = new Map<string, string>()

/** EIP-55, as viem's checksumAddress: a hex letter is upper-case where its nibble of keccak256(lower-case hex) is ≥ 8. */
function checksummed(word: bigint): string {
  // viem's address decoder takes the word's last 20 bytes, whatever the 12 above them hold.
  const hex = (word & MASK_160).toString(16).padStart(40, '0')
  const known = checksums.get(hex)
  if (known !== undefined) return known
  const hash = keccak256Bytes(ascii.encode(hex))
  let out = '0x'
  for (let i = 0; i < 40; i++) {
    const nibble = i % 2 === 0 ? hash[i >> 1]! >> 4 : hash[i >> 1]! & 0x0f
    out += nibble >= 8 ? hex[i]!.toUpperCase() : hex[i]!
  }
  // A backfill decodes the same few addresses (the token, its busiest holders) thousands of times.
  if (checksums.size >= 4096) checksums.clear()
  checksums.set(hex, out)
  return out
}

/** A viem-decoded value of parameter `p` (addresses as their uint160 words) in canonical JSON form. */
function canonical(p: Component, value: unknown): EventArgJson {
  const element = elementOf(p)
  if (element) return (value as unknown[]).map((v) => canonical(element, v))
  if (p.type === 'tuple') {
    const components = p.components ?? []
    const named = namedTuple(components)
    return components.map((c, i) => canonical(c, named ? (value as Record<string, unknown>)[c.name!] : (value as unknown[])[i]))
  }
  if (p.type.startsWith('uint') || p.type.startsWith('int')) return (value as bigint | number).toString()
  if (p.type === 'bool') return value as boolean
  if (p.type.startsWith('bytes')) return (value as string).toLowerCase()
  if (p.type === 'address') return checksummed(value as bigint)
  if (p.type === 'string') return value as string
  throw new Error(`event argument type ${p.type} is not supported`)
}

/** Each trigger's ABI item with its addresses read as words, made once (a backfill decodes thousands of its logs). */
const wordsAbis = new WeakMap<AbiEvent, AbiEvent>()

/** The canonical JSON form of a log's arguments (header comment). Throws when the log does not decode with `abi`. */
export function eventArgs(abi: AbiEvent, topics: readonly Hex[], data: Hex): EventArgsJson {
  let wordsAbi = wordsAbis.get(abi)
  if (!wordsAbi) wordsAbis.set(abi, (wordsAbi = { ...abi, inputs: abi.inputs.map(addressesAsWords) }))
  const decoded = decodeEventLogArgs(wordsAbi, topics, data)
  const unnamed = Array.isArray(decoded)
  return abi.inputs.map((p, i) => {
    const value = unnamed ? decoded[i] : decoded[p.name!]
    return p.indexed && hashedInTopic(p) ? (value as string).toLowerCase() : canonical(p, value)
  })
}

/**
 * The payload fields the gateway adds to an event payload: `args`, or `decodeError` when the log
 * does not decode with the trigger's ABI (wrong topic count, short data, a bool that is not 0/1).
 * Such a log is still delivered, so the trigger's cursor moves on; its invocation fails with that
 * message on every replica alike (it is part of the input).
 */
export function eventPayloadArgs(abi: AbiEvent, topics: readonly Hex[], data: Hex): { args: EventArgsJson } | { decodeError: string } {
  try {
    return { args: eventArgs(abi, topics, data) }
  } catch (err) {
    const e = err as { shortMessage?: unknown; message?: unknown }
    return { decodeError: String(typeof e?.shortMessage === 'string' ? e.shortMessage : (e?.message ?? err)) }
  }
}

function revive(p: Component, json: EventArgJson): unknown {
  const element = elementOf(p)
  if (element) return (json as EventArgJson[]).map((v) => revive(element, v))
  if (p.type === 'tuple') {
    const components = p.components ?? []
    const values = json as EventArgJson[]
    if (!namedTuple(components)) return components.map((c, i) => revive(c, values[i]!))
    const out: Record<string, unknown> = {}
    components.forEach((c, i) => {
      out[c.name!] = revive(c, values[i]!)
    })
    return out
  }
  if (p.type.startsWith('uint') || p.type.startsWith('int')) return bitsOf(p.type) > 48 ? BigInt(json as string) : Number(json as string)
  return json
}

/**
 * Canonical args → the values viem's strict `decodeEventLog` gives (bigint/number by width, tuple
 * objects or arrays, a record or an array): a walk by ABI type, no hashing and no ABI decoding, so
 * it is cheap inside the guest's interpreter.
 */
export function reviveEventArgs(abi: AbiEvent, args: EventArgsJson): Record<string, unknown> | unknown[] {
  if (!Array.isArray(args) || args.length !== abi.inputs.length)
    throw new Error(`the payload's args do not fit event ${abi.name} (${abi.inputs.length} inputs)`)
  const values = abi.inputs.map((p, i) => (p.indexed && hashedInTopic(p) ? args[i] : revive(p, args[i]!)))
  if (abi.inputs.some((p) => !p.name)) return values
  const out: Record<string, unknown> = {}
  abi.inputs.forEach((p, i) => {
    out[p.name!] = values[i]
  })
  return out
}
