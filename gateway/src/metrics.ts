// A small Prometheus registry (text exposition format 0.0.4): counters, gauges, one histogram.
export type Labels = Record<string, string | number>

const key = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/["\\\n]/g, '_')}"`)
    .join(',')

export type Metrics = ReturnType<typeof createMetrics>

export function createMetrics() {
  const counters = new Map<string, { help: string; values: Map<string, number> }>()
  const gauges = new Map<string, { help: string; values: Map<string, number> }>()
  const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
  const histograms = new Map<string, { help: string; counts: number[]; sum: number; count: number }>()

  const family = (map: typeof counters, name: string, help: string) => {
    let f = map.get(name)
    if (!f) map.set(name, (f = { help, values: new Map() }))
    return f
  }
  return {
    inc(name: string, help: string, labels: Labels = {}, by = 1) {
      const f = family(counters, name, help)
      const k = key(labels)
      f.values.set(k, (f.values.get(k) ?? 0) + by)
    },
    set(name: string, help: string, labels: Labels, value: number) {
      family(gauges, name, help).values.set(key(labels), value)
    },
    observe(name: string, help: string, seconds: number) {
      let h = histograms.get(name)
      if (!h) histograms.set(name, (h = { help, counts: buckets.map(() => 0), sum: 0, count: 0 }))
      buckets.forEach((b, i) => {
        if (seconds <= b) h!.counts[i]!++
      })
      h.sum += seconds
      h.count++
    },
    /** Prometheus text format. */
    render(): string {
      const lines: string[] = []
      for (const [type, map] of [
        ['counter', counters],
        ['gauge', gauges],
      ] as const)
        for (const [name, f] of map) {
          lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${type}`)
          for (const [k, v] of f.values) lines.push(`${name}${k ? `{${k}}` : ''} ${v}`)
        }
      for (const [name, h] of histograms) {
        lines.push(`# HELP ${name} ${h.help}`, `# TYPE ${name} histogram`)
        buckets.forEach((b, i) => lines.push(`${name}_bucket{le="${b}"} ${h.counts[i]}`))
        lines.push(`${name}_bucket{le="+Inf"} ${h.count}`, `${name}_sum ${h.sum}`, `${name}_count ${h.count}`)
      }
      return `${lines.join('\n')}\n`
    },
  }
}
