// `npm run bench -- workflow`: the author's loop as a new project sees it. `nexus init` in a fresh
// folder → `nexus dev` in it → the scaffold's HTTP function called and its result verified with
// `nexus verify` (time to the first verified result), then 10 saved edits of the handler, each timed
// from the write to the `live from seq` line of `nexus dev` (hot redeploy, same stack, state kept),
// against the baseline a user had before: stopping the stack and starting it again until ready.
// The project lives under the repository's .nexus/ so its @nexus/* imports resolve to the workspace
// packages; the CLI runs from source, as `npm start` does.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const exec = promisify(execFile)
const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const cli = ['--experimental-wasm-extended-const', '--conditions=nexus-source', '--import', 'tsx', join(repoRoot, 'cli/src/main.ts')]
const edits = 10
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const { DATABASE_URL: _db, NATS_URL: _nats, ...env } = process.env

type Dev = { child: ChildProcess; line(pattern: RegExp, timeoutMs?: number): Promise<string>; stop(): Promise<void> }

function startDev(dir: string): Dev {
  const child = spawn(process.execPath, [...cli, 'dev', '--port', '0'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const seen: string[] = []
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = []
  for (const stream of [child.stdout!, child.stderr!])
    createInterface({ input: stream }).on('line', (l) => {
      seen.push(l)
      for (const w of [...waiters]) if (w.pattern.test(l)) waiters.splice(waiters.indexOf(w), 1) && w.resolve(l)
    })
  return {
    child,
    // Only lines after the call: each edit waits for its own version's line.
    line: (pattern, timeoutMs = 600_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`nexus dev printed no ${pattern}; last lines:\n${seen.slice(-20).join('\n')}`)), timeoutMs)
        waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), resolve(l)) })
      }),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

async function call(url: string, gateway: string): Promise<{ output: string; result: unknown }> {
  let answer = (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"bench"}' })).json()) as {
    state: string
    resultUrl: string
    result: { output: string }
  }
  while (answer.state === 'pending') {
    await new Promise((resolve) => setTimeout(resolve, 100))
    answer = (await (await fetch(`${gateway}${answer.resultUrl}`)).json()) as typeof answer
  }
  return { output: Buffer.from(answer.result.output.slice(2), 'hex').toString(), result: answer.result }
}

export default async function bench(): Promise<void> {
  await mkdir(join(repoRoot, '.nexus'), { recursive: true })
  const base = await mkdtemp(join(repoRoot, '.nexus', 'bench-workflow-'))
  const dir = join(base, 'app')
  let dev: Dev | undefined
  try {
    const started = performance.now()
    await exec(process.execPath, [...cli, 'init', dir], { env })
    dev = startDev(dir)
    const ready = JSON.parse(await dev.line(/^\{"event":"ready"/)) as { url: string }
    const route = `${ready.url}/v1/functions/app-hello/http/hello`
    const first = await call(route, ready.url)
    await writeFile(join(base, 'result.json'), JSON.stringify(first.result))
    await exec(process.execPath, [...cli, 'verify', join(base, 'result.json'), '--network', join(dir, '.nexus/keys/network.json')], { env })
    const firstVerified = performance.now() - started
    console.log(`init → first verified result: ${(firstVerified / 1000).toFixed(1)} s`)

    const handler = join(dir, 'handlers/hello.ts')
    const original = await readFile(handler, 'utf8')
    const saveToLive: number[] = []
    for (let k = 1; k <= edits; k++) {
      const live = dev.line(new RegExp(`app-hello: v${k + 1} live from seq \\d+`))
      const saved = performance.now()
      await writeFile(handler, original.replace('`hello, ${name}`', `\`hello #${k}, \${name}\``))
      await live
      saveToLive.push(performance.now() - saved)
      const { output } = await call(route, ready.url)
      if (!output.includes(`hello #${k}, bench`)) throw new Error(`edit ${k} not served: ${output}`)
    }

    // The loop without hot reload: stop the stack and start it again (state and build cache kept).
    await dev.stop()
    const restarted = performance.now()
    dev = startDev(dir)
    await dev.line(/^\{"event":"ready"/)
    const restart = performance.now() - restarted

    const m = median(saveToLive)
    console.log(`| step | median s | min–max s | × restart |`)
    console.log('|---|---:|---:|---:|')
    console.log(
      `| save → live (${edits} edits) | ${(m / 1000).toFixed(2)} | ${(Math.min(...saveToLive) / 1000).toFixed(2)}–${(Math.max(...saveToLive) / 1000).toFixed(2)} | ${(m / restart).toFixed(2)} |`,
    )
    console.log(`| restart to ready (baseline) | ${(restart / 1000).toFixed(2)} | | 1.00 |`)
  } finally {
    await dev?.stop()
    await rm(base, { recursive: true, force: true })
  }
}
