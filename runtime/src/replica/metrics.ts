// GET /metrics of the replica (Prometheus text format 0.0.4): the process's memory and the
// sandbox's component cache, the figures a memory budget is checked against (docs/runtime.md,
// "Memory"). Nothing here names a function or its data.
import type { Replica } from './replica.ts'

type Sample = { name: string; help: string; type: 'gauge' | 'counter'; value: number }

/** The process's memory as Node sees it; RSS includes the sandbox worker's WebAssembly memories. */
export function processMemorySamples(): Sample[] {
  const m = process.memoryUsage()
  return [
    { name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.', type: 'gauge', value: m.rss },
    { name: 'nodejs_heap_used_bytes', help: 'V8 heap in use by the main thread, bytes.', type: 'gauge', value: m.heapUsed },
    { name: 'nodejs_heap_total_bytes', help: 'V8 heap reserved by the main thread, bytes.', type: 'gauge', value: m.heapTotal },
    {
      name: 'nodejs_external_memory_bytes',
      help: 'Memory of C++ objects bound to JS objects (WebAssembly memories, buffers), bytes.',
      type: 'gauge',
      value: m.external,
    },
    { name: 'nodejs_array_buffers_bytes', help: 'ArrayBuffers and SharedArrayBuffers, bytes.', type: 'gauge', value: m.arrayBuffers },
  ]
}

export function renderSamples(samples: Sample[]): string {
  const lines: string[] = []
  for (const s of samples) lines.push(`# HELP ${s.name} ${s.help}`, `# TYPE ${s.name} ${s.type}`, `${s.name} ${s.value}`)
  return `${lines.join('\n')}\n`
}

export function replicaMetrics(replica: Replica): string {
  const cache = replica.sandboxCache()
  return renderSamples([
    ...processMemorySamples(),
    {
      name: 'nexus_sandbox_cache_bytes',
      help: 'Bytes accounted to cached components (wasm modules, idle instances, pristine snapshots).',
      type: 'gauge',
      value: cache.bytes,
    },
    { name: 'nexus_sandbox_cache_budget_bytes', help: 'Byte budget of the component cache.', type: 'gauge', value: cache.budget },
    { name: 'nexus_sandbox_cache_entries', help: 'Components (code hashes) in the cache.', type: 'gauge', value: cache.entries },
    { name: 'nexus_sandbox_cache_evictions_total', help: 'Components evicted for the byte budget.', type: 'counter', value: cache.evictions },
    { name: 'nexus_sandbox_cache_forgotten_total', help: 'Components dropped because no live function runs them.', type: 'counter', value: cache.forgotten },
  ])
}
