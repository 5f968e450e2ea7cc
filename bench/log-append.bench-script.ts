// Log append latency: the PGlite log (the embedded default) against the JetStream log on the
// nats-server at NATS_URL (default 127.0.0.1:4222, one node, one replica), in the same run. One
// append at a time (the latency a synchronous invoke pays for ordering), then 4 at once on the same
// function (appenders racing for the next seq), then a keyed append (idempotency lookup included).
import { loadavg as osLoadavg } from 'node:os'
import { jetstreamManager } from '@nats-io/jetstream'
import { createDatabase, createLog, type Log } from '@nexus/gateway'
import { createJetStreamLog, jetStreamLogStreams } from '@nexus/gateway/jetstream'

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}
const H = `0x${'d5'.repeat(32)}`

type Row = { p50: number; p99: number }

async function measure(log: Log, n: number): Promise<{ single: Row; racing: Row; keyed: Row }> {
  await log.putArtifact(H, { name: 'bench' }, 'AA==')
  await log.deployFunction('bench', H)
  let k = 0
  const append = (key?: string) => log.append({ functionId: 'bench', input: '0x01', trigger: 'http', requestHash: String(k++), idempotencyKey: key })
  for (let w = 0; w < 200; w++) await append() // warm-up: JIT, connections, caches
  const timed = async (run: () => Promise<unknown>) => {
    const t0 = performance.now()
    await run()
    return performance.now() - t0
  }
  const single: number[] = []
  for (let i = 0; i < n; i++) single.push(await timed(() => append()))
  const racing: number[] = []
  for (let i = 0; i < n / 4; i++) racing.push(...(await Promise.all([0, 1, 2, 3].map(() => timed(() => append())))))
  const keyed: number[] = []
  for (let i = 0; i < n; i++) keyed.push(await timed(() => append(`key-${i}`)))
  const row = (xs: number[]) => ({ p50: quantile(xs, 0.5), p99: quantile(xs, 0.99) })
  return { single: row(single), racing: row(racing), keyed: row(keyed) }
}

export default async function (): Promise<void> {
  const N = Number(process.env.BENCH_LOG_APPEND_N ?? 1000)
  const servers = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'
  const database = await createDatabase()
  const pglite = await measure(createLog(database), N)
  await database.close()

  const prefix = `bench_${process.pid}`
  const js = await createJetStreamLog({ servers, prefix })
  let jetstream: Awaited<ReturnType<typeof measure>>
  try {
    jetstream = await measure(js.log, N)
  } finally {
    const jsm = await jetstreamManager(js.nc)
    for (const name of jetStreamLogStreams(prefix)) await jsm.streams.delete(name)
    await js.close()
  }
  const f = (x: number) => x.toFixed(2)
  const loadavg = () =>
    osLoadavg()
      .map((x) => x.toFixed(2))
      .join(' ')
  console.log(`N = ${N} appends per row, load average ${loadavg()} (1/5/15 min), JetStream at ${servers}`)
  console.log('| append | PGlite p50 / p99 (ms) | JetStream p50 / p99 (ms) | JetStream ÷ PGlite p50 / p99 |')
  console.log('|---|---|---|---|')
  for (const [name, label] of [
    ['single', 'one at a time'],
    ['racing', '4 at once, one function'],
    ['keyed', 'with an idempotency key'],
  ] as const) {
    const a = pglite[name]
    const b = jetstream[name]
    console.log(`| ${label} | ${f(a.p50)} / ${f(a.p99)} | ${f(b.p50)} / ${f(b.p99)} | ${(b.p50 / a.p50).toFixed(1)}× / ${(b.p99 / a.p99).toFixed(1)}× |`)
  }
}
