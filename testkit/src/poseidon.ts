// Reference Poseidon (circomlib parameters, BN254) for building test Merkle trees. Constants are read
// from circomlib's unoptimised constants file; the circuit uses the optimised form of the same
// permutation, and the tests check both agree through real proofs.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { BN254_R as p } from '@nexus/protocol/zk'

const require = createRequire(import.meta.url)
const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68]
const cache = new Map<number, { C: bigint[]; M: bigint[][] }>()

function constants(t: number) {
  const hit = cache.get(t)
  if (hit) return hit
  const text = readFileSync(require.resolve('circomlib/circuits/poseidon_constants_old.circom'), 'utf8')
  const [cPart, mPart] = text.split('function POSEIDON_M')
  const block = (part: string) => {
    const start = part.indexOf(`if (t == ${t})`)
    const open = part.indexOf('[', start)
    let depth = 0
    let end = open
    for (; end < part.length; end++) {
      if (part[end] === '[') depth++
      if (part[end] === ']' && --depth === 0) break
    }
    return part.slice(open, end + 1)
  }
  const nums = (s: string) => (s.match(/0x[0-9a-fA-F]+|[0-9]+/g) ?? []).map((x) => BigInt(x))
  const C = nums(block(cPart!))
  const flatM = nums(block(mPart!))
  const M = Array.from({ length: t }, (_, i) => flatM.slice(i * t, i * t + t))
  const value = { C, M }
  cache.set(t, value)
  return value
}

const pow5 = (x: bigint) => {
  const x2 = (x * x) % p
  return (((x2 * x2) % p) * x) % p
}

export function poseidon(inputs: readonly bigint[]): bigint {
  const t = inputs.length + 1
  const { C, M } = constants(t)
  const nF = 8
  const nP = N_ROUNDS_P[t - 2]!
  let state = [0n, ...inputs.map((x) => x % p)]
  for (let r = 0; r < nF + nP; r++) {
    state = state.map((x, i) => (x + C[t * r + i]!) % p)
    const full = r < nF / 2 || r >= nF / 2 + nP
    state = state.map((x, i) => (full || i === 0 ? pow5(x) : x))
    state = state.map((_, i) => state.reduce((acc, x, j) => (acc + M[i]![j]! * x) % p, 0n))
  }
  return state[0]!
}

/** Root and path for leaf `index` of a Poseidon tree over `leaves` (length 2^depth). */
export function merklePath(leaves: readonly bigint[], index: number) {
  let level = [...leaves]
  let i = index
  const pathElements: bigint[] = []
  const pathIndices: number[] = []
  while (level.length > 1) {
    pathElements.push(level[i ^ 1]!)
    pathIndices.push(i & 1)
    const next: bigint[] = []
    for (let k = 0; k < level.length; k += 2) next.push(poseidon([level[k]!, level[k + 1]!]))
    level = next
    i >>= 1
  }
  return { root: level[0]!, pathElements, pathIndices }
}
