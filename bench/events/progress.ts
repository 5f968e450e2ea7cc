// Progress lines for the events bench: every slow step says when it starts and how long it took,
// so a long run is never silent (and a hang shows where it is).
const benchStarted = performance.now()
const clock = () => `${((performance.now() - benchStarted) / 1000).toFixed(1).padStart(6)} s`

export function note(message: string): void {
  console.log(`[events ${clock()}] ${message}`)
}

/** Runs `work`, printing its start and its duration (or its failure). */
export async function step<T>(label: string, work: () => Promise<T>): Promise<T> {
  note(`${label} …`)
  const started = performance.now()
  try {
    const value = await work()
    note(`${label}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    return value
  } catch (err) {
    note(`${label}: FAILED after ${((performance.now() - started) / 1000).toFixed(1)} s`)
    throw err
  }
}
