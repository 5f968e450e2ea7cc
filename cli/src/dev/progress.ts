// Progress lines of `nexus dev`: a step that may take longer than a second says so when it starts
// (`starting 4 replicas…`) and when it ends, with its elapsed time (`started 4 replicas (3.1 s)`);
// one still running after 10 s says so every 10 s, so the console never goes silent.

export type Log = (line: string) => void

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

const STILL_RUNNING_EVERY_MS = 10_000

/** Run `work`, printing `start` before it and `done(result)` with the elapsed time after it. */
export async function step<T>(log: Log, start: string, work: () => Promise<T>, done: (result: T) => string): Promise<T> {
  const began = performance.now()
  log(`${start}…`)
  const timer = setInterval(() => log(`  … still ${start} (${seconds(performance.now() - began)})`), STILL_RUNNING_EVERY_MS)
  timer.unref()
  try {
    const result = await work()
    log(`${done(result)} (${seconds(performance.now() - began)})`)
    return result
  } finally {
    clearInterval(timer)
  }
}
