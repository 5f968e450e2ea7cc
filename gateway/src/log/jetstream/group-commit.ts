// Group commit: while one append of a function is on its way to the stream, the appends to the same
// function that arrive in this process wait, and then go together in the next log message. A
// process never races itself for a function's next seq (only other gateways do), and N concurrent
// appends cost about one round of conditional publish instead of N retried ones. One append alone
// goes at once.
import type { Appended } from '../append-many.ts'
import type { AppendParameters } from '../index.ts'

/** Each grouped append's own answer: its invocation, or its own error (a reused key). */
export type Outcome = Appended | Error

type Waiting = { p: AppendParameters; resolve: (a: Appended) => void; reject: (e: unknown) => void }

export function createGroupCommit(write: (items: AppendParameters[]) => Promise<Outcome[]>, maxBytes: number) {
  const queues = new Map<string, Waiting[]>()

  async function drain(functionId: string, queue: Waiting[]) {
    while (queue.length > 0) {
      let bytes = 0
      let n = 0
      while (n < queue.length && (n === 0 || bytes + queue[n]!.p.input.length + 512 <= maxBytes)) bytes += queue[n++]!.p.input.length + 512
      const batch = queue.splice(0, n)
      try {
        const outcomes = await write(batch.map((w) => w.p))
        batch.forEach((w, k) => {
          const o = outcomes[k]!
          if (o instanceof Error) w.reject(o)
          else w.resolve(o)
        })
      } catch (err) {
        for (const w of batch) w.reject(err)
      }
    }
    queues.delete(functionId)
  }

  return {
    append(p: AppendParameters): Promise<Appended> {
      return new Promise<Appended>((resolve, reject) => {
        const running = queues.get(p.functionId)
        if (running) return void running.push({ p, resolve, reject })
        const queue: Waiting[] = [{ p, resolve, reject }]
        queues.set(p.functionId, queue)
        void drain(p.functionId, queue)
      })
    },
  }
}
