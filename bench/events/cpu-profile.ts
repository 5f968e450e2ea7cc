// A summary of V8 .cpuprofile files (`node --cpu-prof`): self time summed by function and file
// (package and file of the call frame's URL), the top entries first. One file per profiled thread: the
// replica's main thread and its sandbox worker each write their own.
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'

type CpuProfile = {
  startTime: number
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]
  samples: number[]
  timeDeltas: number[]
}

/** A span of CLOCK_MONOTONIC in microseconds: V8's profile timestamps and process.hrtime share that clock on Linux. */
export type Window = { startUs: number; endUs: number }
export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n)

export type ProfileSummary = {
  file: string
  /** Busy (not idle) time sampled inside the window, ms. */
  busyMs: number
  idleMs: number
  /** False when no sample fell in the window and the whole profile is summarized. */
  windowed: boolean
  top: { name: string; selfMs: number; share: number }[]
}

/** A frame's file, short but telling: `@electric-sql/pglite/chunk-….js` (package + file), else the last two segments. */
function shortUrl(url: string): string {
  const path = url.split('?')[0]!
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:.*\/)?([^/]+)$/.exec(path)
  return pkg ? `${pkg[1]}/${pkg[2]}` : path.split('/').slice(-2).join('/')
}

/** Self time by function + file, the top `top`, shares of the busy time; samples outside `window` are left out. */
export function summarizeProfile(profile: CpuProfile, top = 15, window?: Window): Omit<ProfileSummary, 'file'> {
  const frameOf = new Map(profile.nodes.map((n) => [n.id, n.callFrame]))
  const tally = (inWindow: (t: number) => boolean) => {
    const selfUs = new Map<string, number>()
    let t = profile.startTime
    profile.samples.forEach((id, i) => {
      // timeDeltas[i] is the time before sample i: that sample's share of the wall time.
      const dt = Math.max(0, profile.timeDeltas[i] ?? 0)
      t += dt
      if (!inWindow(t)) return
      const frame = frameOf.get(id)
      const where = frame?.url ? shortUrl(frame.url) : ''
      const name = `${frame?.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`
      selfUs.set(name, (selfUs.get(name) ?? 0) + dt)
    })
    return selfUs
  }
  let windowed = window !== undefined
  let selfUs = tally((t) => !window || (t >= window.startUs && t <= window.endUs))
  if (selfUs.size === 0) {
    windowed = false
    selfUs = tally(() => true)
  }
  const idleUs = selfUs.get('(idle)') ?? 0
  selfUs.delete('(idle)')
  const busyUs = [...selfUs.values()].reduce((a, b) => a + b, 0)
  const sorted = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, top)
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    windowed,
    top: sorted.map(([name, us]) => ({ name, selfMs: us / 1000, share: busyUs ? us / busyUs : 0 })),
  }
}

/** Every .cpuprofile in `dir` (one per thread), summarized, the busiest first. */
export async function summarizeProfiles(dir: string, top = 15, window?: Window): Promise<ProfileSummary[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'))
  const summaries = await Promise.all(
    files.map(async (f) => ({ file: f, ...summarizeProfile(JSON.parse(await readFile(join(dir, f), 'utf8')) as CpuProfile, top, window) })),
  )
  return summaries.sort((a, b) => b.busyMs - a.busyMs)
}

export function printProfiles(summaries: ProfileSummary[]): void {
  for (const s of summaries.filter((x) => x.busyMs > 0)) {
    const span = s.windowed ? 'during the backfill' : 'whole life (no sample in the backfill window)'
    console.log(`
CPU profile ${s.file}, ${span}: ${(s.busyMs / 1000).toFixed(1)} s busy, ${(s.idleMs / 1000).toFixed(1)} s idle; top self time`)
    console.log('| function file | self ms | share of busy |\n|---|---:|---:|')
    for (const t of s.top) console.log(`| ${t.name} | ${t.selfMs.toFixed(0)} | ${(t.share * 100).toFixed(1)} % |`)
  }
}
