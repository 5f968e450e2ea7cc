// Decodes a log's topics and data with the event's ABI item, like viem's `decodeEventLog` in strict
// mode, minus its first step: viem finds the ABI item by hashing every candidate's signature
// (keccak256 in the interpreter, on every invocation). The build already matched topic0 to the
// item, so the guest skips that.
import { decodeAbiParameters, type AbiEvent, type AbiParameter, type Hex } from 'viem'

const dynamic = (p: AbiParameter) => p.type === 'string' || p.type === 'bytes' || p.type === 'tuple' || p.type.endsWith(']')

export function decodeEvent(abi: AbiEvent, topics: Hex[], data: Hex): Record<string, unknown> | unknown[] {
  const unnamed = abi.inputs.some((p) => !p.name)
  const args: Record<string | number, unknown> = unnamed ? ([] as unknown as Record<number, unknown>) : {}
  const put = (p: AbiParameter, index: number, value: unknown) => {
    args[unnamed ? index : p.name!] = value
  }
  let topic = 1
  abi.inputs.forEach((p, i) => {
    if (!p.indexed) return
    const value = topics[topic++]
    if (value === undefined) throw new Error(`log of ${abi.name} has too few topics for indexed argument ${p.name ?? i}`)
    // Indexed dynamic values are stored as their keccak256 hash: the topic is all there is.
    put(p, i, dynamic(p) ? value : decodeAbiParameters([p], value)[0])
  })
  if (topic !== topics.length) throw new Error(`log of ${abi.name} has ${topics.length} topics, the event has ${topic}`)
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
