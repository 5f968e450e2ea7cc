// The state one invocation of a batch reads: committed storage (over the sync channel) with the
// writes of the batch's earlier successful invocations on top, exactly what storage would answer
// had each of them been committed before the next ran. A batch runs in one worker message and the
// main thread commits its outcomes afterwards, so without this layer the next invocation would
// read stale values; with it, a key the batch already touched costs no round trip to the main
// thread. The invocation's own overlay (overlay.ts) sits on top of this reader and meters every
// read from it as a read from storage, so fuel is the same as one invocation per message.
import { StateOverlay, type Reader, type WriteSet } from './overlay.ts'
import type { FileEntry, ReadRequest } from './sync-channel.ts'

export function createBatchState(storage: Reader) {
  // Unmetered: pricing belongs to each invocation's own overlay.
  const layer = new StateOverlay(storage)
  const read = (<T>(request: ReadRequest): T => {
    switch (request.op) {
      case 'kv.get':
        return layer.kvGet(request.key) as T
      case 'kv.scan':
        return layer.kvScan(request.prefix, request.startAfter, request.limit) as T
      case 'fs.get':
        return layer.entry(request.path) as T
      case 'fs.children':
        return layer.children(request.dir) as T
      case 'fs.descendants':
        return layer.descendants(request.dir) as T
      default:
        // Chain reads are pinned to the invocation's block by the main thread, never layered.
        return storage<T>(request)
    }
  }) as Reader
  return {
    read,
    /** Lays a successful invocation's writes over what later invocations read. */
    apply(writes: WriteSet): void {
      for (const [key, value] of writes.kv) layer.kvSet(key, value)
      for (const [path, entry] of writes.files) layer.put(path, entry as FileEntry | null)
    },
  }
}
