// HTTP fuzz at scale: 20,000 seeded requests (gateway/test/http-fuzz.ts: random methods, paths from
// the route table plus mutations, bad headers, cursors and ids, bodies of random JSON, garbage and
// sizes past every limit, mutated deploys) against a real gateway and a 3-of-4 network of
// in-process replicas over real HTTP. Reports answers by status and every finding (a 5xx or a failed
// connection), then whether a normal invocation is still attested. The CI test runs 2,000 of these.
import { loadavg } from 'node:os'
import { fuzzGateway } from '../gateway/test/http-fuzz.ts'
import { send } from '../gateway/test/http-client.ts'
import { startInProcessStack } from '../gateway/test/inprocess-stack.ts'
import { helloArtifact } from '../gateway/test/stack.ts'

export default async function (): Promise<void> {
  const COUNT = Number(process.env.BENCH_FUZZ_COUNT ?? 20_000)
  const SEED = Number(process.env.BENCH_FUZZ_SEED ?? 15)
  const CONCURRENCY = Number(process.env.BENCH_FUZZ_CONCURRENCY ?? 16)
  const load = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ')
  const loadBefore = loadavg()
  const stack = await startInProcessStack({ gateway: { limits: { syncTimeoutMs: 1000 } } })
  try {
    const artifact = await helloArtifact('hello')
    const deployed = await send(`${stack.url}/v1/functions`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: JSON.stringify(artifact) })
    if (deployed.status !== 201) throw new Error(`deploy failed: ${deployed.status} ${deployed.text}`)
    const report = await fuzzGateway({ url: stack.url, seed: SEED, count: COUNT, concurrency: CONCURRENCY, functionId: 'hello', apiKey: 'k', artifact })
    const accepted = (await send(`${stack.url}/v1/functions/hello/invoke?mode=async`, { method: 'POST', body: '{"name":"after fuzz"}' })).json()
    // The run leaves a backlog of invocations on hello: this one is attested after them.
    const deadline = Date.now() + 600_000
    let after = await send(`${stack.url}/v1/results/${accepted.id}`)
    while (after.json().state === 'pending' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500))
      after = await send(`${stack.url}/v1/results/${accepted.id}`)
    }
    const fivexx = Object.entries(report.byStatus)
      .filter(([s]) => Number(s) >= 500)
      .reduce((n, [, c]) => n + c, 0)
    console.log('| measure | value |')
    console.log('|---|---|')
    console.log(`| requests (seed ${SEED}, ${CONCURRENCY} in flight) | ${report.count} |`)
    console.log(`| wall time | ${(report.ms / 1000).toFixed(1)} s (${(report.count / (report.ms / 1000)).toFixed(0)} req/s) |`)
    console.log(
      `| answers by status | ${Object.entries(report.byStatus)
        .map(([s, c]) => `${s}: ${c}`)
        .join(', ')} |`,
    )
    console.log(`| 5xx answers (any) | ${fivexx} |`)
    console.log(`| findings (5xx other than /ready NOT_READY, failed connections) | ${report.findings.length} |`)
    console.log(`| invoke after the run | ${after.json().state}, status ${after.json().status} |`)
    console.log(`| load average (1, 5, 15 min) before / after | ${load(loadBefore)} / ${load(loadavg())} |`)
    for (const f of report.findings.slice(0, 20)) console.log(`finding: ${JSON.stringify(f)}`)
  } finally {
    await stack.close()
  }
}
