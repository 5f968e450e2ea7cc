// The canonical chain as the trigger service sees it: a window of recent block headers linked by
// parent hash. Each `advance()` reads the node's head, fills in the blocks since the last head and
// walks back through parent hashes until they link up with what it holds (the common ancestor);
// everything above the ancestor that it held is orphaned. Deliveries only ever use headers from
// here, and only at or below the final block, so an orphaned block is never delivered as final.
import type { Finality } from '@nexus/protocol'
import type { BlockHeader, ChainRpc } from './rpc.ts'

export type Follower = ReturnType<typeof createFollower>

export type AdvanceResult = {
  head: BlockHeader
  /** Highest block number that counts as final now (may be below the first block we care about). */
  final: bigint
  /** Blocks we held that are no longer canonical (0 when no reorg). */
  orphaned: number
}

export function createFollower({ rpc, finality, window = 512 }: { rpc: ChainRpc; finality: Finality; window?: number }) {
  const canonical = new Map<bigint, BlockHeader>()
  /** Headers below the window, fetched by number at or below finality (final blocks do not change). */
  const finalCache = new Map<bigint, BlockHeader>()
  let tip: bigint | undefined
  let reorgs = 0
  let orphanedTotal = 0

  async function finalNumber(head: BlockHeader): Promise<bigint> {
    if (finality === 'safe' || finality === 'finalized') {
      const tagged = await rpc.header(finality)
      return tagged.number < head.number ? tagged.number : head.number
    }
    return head.number - BigInt(finality.confirmations)
  }

  return {
    /** Read the head, link it to what we hold, drop orphans. */
    async advance(): Promise<AdvanceResult> {
      const head = await rpc.header('latest')
      // New headers, ascending and linked among themselves, ending at head.
      const fresh: BlockHeader[] = [head]
      if (tip !== undefined && head.number > tip + 1n && head.number - tip <= BigInt(window)) {
        const missing: bigint[] = []
        for (let n = tip + 1n; n < head.number; n++) missing.push(n)
        const got = await Promise.all(missing.map((n) => rpc.header(n)))
        fresh.unshift(...got)
        // The node may have reorged between our reads: re-read until the new stretch links up.
        for (let i = fresh.length - 1; i > 0; i--) {
          if (fresh[i]!.parentHash !== fresh[i - 1]!.hash) fresh[i - 1] = await rpc.header(fresh[i - 1]!.number)
          if (fresh[i]!.parentHash !== fresh[i - 1]!.hash) return this.advance()
        }
      } else if (tip !== undefined && head.number - tip > BigInt(window)) {
        canonical.clear() // too far behind to link: start a new window at the head
      }
      // Walk back from the oldest new header until its parent is the header we hold.
      let orphaned = 0
      for (;;) {
        const oldest = fresh[0]!
        const held = canonical.get(oldest.number - 1n)
        if (!held || held.hash === oldest.parentHash) break
        fresh.unshift(await rpc.header(oldest.number - 1n))
        if (fresh[0]!.hash !== fresh[1]!.parentHash) return this.advance() // raced another reorg
      }
      for (const h of fresh) {
        const held = canonical.get(h.number)
        if (held && held.hash !== h.hash) orphaned++
        canonical.set(h.number, h)
      }
      // A shorter chain (e.g. after evm_revert): whatever we held above the head is gone.
      for (const n of [...canonical.keys()]) if (n > head.number) canonical.delete(n), orphaned++
      for (const n of [...canonical.keys()]) if (n <= head.number - BigInt(window)) canonical.delete(n)
      if (orphaned > 0) reorgs++, (orphanedTotal += orphaned)
      tip = head.number
      return { head, final: await finalNumber(head), orphaned }
    },

    /**
     * Canonical headers for block numbers at or below the final block: from the window, else read
     * by number (below the window the block is long final).
     */
    async headers(numbers: bigint[]): Promise<Map<bigint, BlockHeader>> {
      const out = new Map<bigint, BlockHeader>()
      const missing = numbers.filter((n) => {
        const h = canonical.get(n) ?? finalCache.get(n)
        if (h) out.set(n, h)
        return !h
      })
      const got = await Promise.all(missing.map((n) => rpc.header(n)))
      for (const h of got) {
        out.set(h.number, h)
        if (tip !== undefined && h.number <= tip - BigInt(window)) {
          if (finalCache.size > 10_000) finalCache.clear()
          finalCache.set(h.number, h)
        }
      }
      return out
    },

    status() {
      return { tip: tip?.toString() ?? null, reorgs, orphaned: orphanedTotal }
    },
  }
}
