// The seed an invocation's `env.random` derives from (docs/runtime.md): keccak256 of
// abi.encode(bytes32 codeHash, string functionId, uint64 seq, bytes32 inputHash), the same on every
// replica. Written straight into bytes (abi-words.ts) instead of viem's encodeAbiParameters, which
// was ≈ 6 % of a replica's main-thread CPU in an event backfill; values not in the form viem takes
// as is go to viem, which encodes (the same bytes) or throws as before.
import { encodeAbiParameters, type Hex } from 'viem'
import { abiWords, keccak256, putBytes32, putUint } from '@nexus/protocol'

const SEED_PARAMETERS = [{ type: 'bytes32' }, { type: 'string' }, { type: 'uint64' }, { type: 'bytes32' }] as const

export function derivedRandomSeed(codeHash: Hex, functionId: string, seq: bigint, inputHash: Hex): Hex {
  const viaViem = () => keccak256(encodeAbiParameters(SEED_PARAMETERS, [codeHash, functionId, seq, inputHash]))
  if (typeof functionId !== 'string') return viaViem()
  const id = Buffer.from(functionId, 'utf8')
  // Head: codeHash, the string's offset (4 words), seq, inputHash; tail: its length, then its bytes padded to whole words.
  const out = abiWords(5 + Math.ceil(id.length / 32))
  const ok = putBytes32(out, 0, codeHash) && putUint(out, 1, 4 * 32, 256) && putUint(out, 2, seq, 64) && putBytes32(out, 3, inputHash)
  if (!ok) return viaViem()
  putUint(out, 4, id.length, 256)
  id.copy(out, 5 * 32)
  return keccak256(out)
}
