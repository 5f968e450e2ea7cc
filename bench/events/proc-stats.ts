// Linux /proc readings of a process tree: CPU seconds (utime + stime, the process's own threads
// and its reaped children) and resident memory (VmRSS), summed over the process and its living
// descendants, so a tool that forks workers is measured whole.
import { readFileSync, readdirSync } from 'node:fs'

const ticksPerSecond = 100 // USER_HZ: 100 on every Linux the bench runs on (getconf CLK_TCK)

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined // the process exited between listing and reading
  }
}

/** The living direct children of `pid` (through /proc/<pid>/task/<tid>/children). */
function childrenOf(pid: number): number[] {
  let tasks: string[] = []
  try {
    tasks = readdirSync(`/proc/${pid}/task`)
  } catch {}
  return tasks.flatMap((tid) => (read(`/proc/${pid}/task/${tid}/children`) ?? '').trim().split(/\s+/).filter(Boolean).map(Number))
}

/** The pid and every living descendant. */
export function processTree(pid: number): number[] {
  const out = [pid]
  for (let i = 0; i < out.length; i++) out.push(...childrenOf(out[i]!))
  return out
}

/** When a process started (clock ticks after boot): with the pid, names it even after pid reuse. */
export function startTicks(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`)
  return stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) : undefined
}

/** Direct children of `pid` whose command line contains `marker`. */
export function childrenWith(pid: number, marker: string): number[] {
  return childrenOf(pid).filter((c) => (read(`/proc/${c}/cmdline`) ?? '').includes(marker))
}

/** CPU seconds of one process: own user + system time, plus that of its children it has waited for. */
export function cpuSecondsOf(pid: number): number {
  const stat = read(`/proc/${pid}/stat`)
  if (!stat) return 0
  // Fields after the command name (which may hold spaces) start at field 3; utime is field 14.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const [utime, stime, cutime, cstime] = [f[11], f[12], f[13], f[14]].map(Number) as [number, number, number, number]
  return (utime + stime + cutime + cstime) / ticksPerSecond
}

/** CPU seconds of a process and its living descendants. */
export const treeCpuSeconds = (pid: number) => processTree(pid).reduce((sum, p) => sum + cpuSecondsOf(p), 0)

/** Resident bytes of one process (VmRSS), 0 once it has exited. */
export function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`) ?? '')?.[1]
  return kb ? Number(kb) * 1024 : 0
}

/** Resident bytes of a process and its living descendants. */
export const treeRssBytes = (pid: number) => processTree(pid).reduce((sum, p) => sum + rssBytes(p), 0)

/** Samples `measure` every `everyMs` until stopped; `peak()` is the largest value seen. */
export function sampler(measure: () => number, everyMs = 200) {
  let peak = measure()
  const timer = setInterval(() => {
    peak = Math.max(peak, measure())
  }, everyMs)
  timer.unref() // a sampler left running after an error never keeps the bench alive
  return {
    peak: () => peak,
    stop() {
      clearInterval(timer)
      peak = Math.max(peak, measure())
      return peak
    },
  }
}
