// Summarises the .cpuprofile files `node --cpu-prof --cpu-prof-dir=DIR` wrote (one per thread):
// per profile, the total sampled time and the top self times by function and by file (package).
// Usage: node bench/cpu-profile-summary.ts DIR [top=15]
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const dir = process.argv[2]
const top = Number(process.argv[3] ?? 15)
if (!dir) throw new Error('usage: cpu-profile-summary.ts DIR [top]')

/** A short place for a script URL: the package and file, not the whole path. */
function place(url: string): string {
  if (!url) return '(native)'
  const path = url.replace(/^file:\/\//, '')
  const nm = path.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = path.slice(nm + 'node_modules/'.length).split('/')
    const pkg = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
    return `${pkg}:${rest.at(-1)}`
  }
  const parts = path.split('/')
  return parts.slice(-3).join('/')
}

function rows(m: Map<string, number>, total: number) {
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `| ${k} | ${(v / 1000).toFixed(0)} | ${((v / total) * 100).toFixed(1)} % |`)
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const byFunction = new Map<string, number>()
  const byFile = new Map<string, number>()
  let total = 0
  let idle = 0
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    if (functionName === '(idle)') {
      idle += us
      continue
    }
    total += us
    const name = `${functionName || '(anonymous)'} ${place(url)}${url ? `:${lineNumber + 1}` : ''}`
    byFunction.set(name, (byFunction.get(name) ?? 0) + us)
    byFile.set(place(url), (byFile.get(place(url)) ?? 0) + us)
  }
  console.log(`\n## ${file}: ${(total / 1000).toFixed(0)} ms sampled busy, ${(idle / 1000).toFixed(0)} ms idle\n`)
  console.log('| self time by function | ms | share |\n|---|---:|---:|')
  for (const r of rows(byFunction, total)) console.log(r)
  console.log('\n| self time by file | ms | share |\n|---|---:|---:|')
  for (const r of rows(byFile, total)) console.log(r)
}
