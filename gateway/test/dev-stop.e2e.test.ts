// A clean stop and no orphans (issue 15, item 4), on the real `nexus dev` process (PGlite, free
// ports, so it runs beside other stacks). Processes are followed by pid and start time from /proc
// (never by name): every descendant of `nexus dev` seen while it ran must be gone after it stops.
//  - SIGINT under load: requests sent after the signal are refused, the log holds exactly the
//    acknowledged invocations (last seq = last acknowledged seq) and all of them are settled.
//  - A second SIGINT forces the stop (exit 130); SIGKILL of `nexus dev` leaves no process behind.
//  - A start that fails midway (gateway port in use, after anvil and the replicas started) stops
//    what it started. A process that started anvil and is killed with SIGKILL takes anvil with it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { connect, createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createDatabase } from '../src/database/index.ts'
import { createLog, type Invocation } from '../src/log/index.ts'
import { repoRoot } from '@nexus/cli/dev'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let root: string
let helloExamples: string
let chainExamples: string
const started: ChildProcess[] = []

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nexus-devstop-'))
  helloExamples = join(root, 'examples-hello')
  await mkdir(join(helloExamples, 'hello'), { recursive: true })
  await copyFile(join(repoRoot, 'examples/hello/handler.ts'), join(helloExamples, 'hello', 'handler.ts'))
  // A project naming the devnet chain (so anvil starts) and no handlers: the gateway's failed
  // listen comes before its build.
  chainExamples = join(root, 'examples-chain')
  await mkdir(join(chainExamples, 'chain'), { recursive: true })
  await writeFile(
    join(chainExamples, 'chain', 'nexus.config.ts'),
    `export default { name: 'chain', chains: { devnet: { chainId: 31337, finality: { confirmations: 2 } } } }\n`,
  )
})
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})

// ---- processes by pid and start time --------------------------------------------------------

type Proc = { pid: number; start: string }
async function stat(pid: number): Promise<{ state: string; ppid: number; start: string } | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  if (!text) return undefined
  // The command name is in parentheses and may hold spaces: the fields start after the last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { state: f[0]!, ppid: Number(f[1]), start: f[19]! }
}
async function descendantsOf(pid: number): Promise<Proc[]> {
  const all: { pid: number; ppid: number; start: string }[] = []
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const s = await stat(Number(name))
    if (s) all.push({ pid: Number(name), ppid: s.ppid, start: s.start })
  }
  const found: Proc[] = []
  const queue = [pid]
  while (queue.length) {
    const parent = queue.shift()!
    for (const p of all) if (p.ppid === parent) found.push({ pid: p.pid, start: p.start }), queue.push(p.pid)
  }
  return found
}
/** Same pid, same start time, not a zombie: the very process, still running. */
async function alive(p: Proc): Promise<boolean> {
  const s = await stat(p.pid)
  return !!s && s.start === p.start && s.state !== 'Z'
}
async function expectAllGone(procs: Proc[], withinMs = 20_000) {
  const deadline = Date.now() + withinMs
  for (;;) {
    const left: Proc[] = []
    for (const p of procs) if (await alive(p)) left.push(p)
    if (left.length === 0) return
    if (Date.now() > deadline) throw new Error(`still running: ${JSON.stringify(left)}`)
    await sleep(200)
  }
}

// ---- nexus dev ------------------------------------------------------------------------------

type Dev = {
  proc: ChildProcess
  output: () => string
  ready: Promise<string>
  exited: Promise<number | null>
  seen: Map<number, Proc>
  stopWatching: () => void
}

function startDev(args: string[]): Dev {
  const { DATABASE_URL: _, ...env } = process.env
  const proc = spawn(
    process.execPath,
    [
      '--experimental-wasm-extended-const',
      '--conditions=nexus-source',
      '--import',
      'tsx',
      // What `npm start` runs: the CLI from its bundle (cli/src/launch.ts).
      join(repoRoot, 'cli/src/launch.ts'),
      'dev',
      '--dir',
      join(root, 'nexus'),
      '--port',
      '0',
      '--devnet-port',
      '0',
      ...args,
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env },
  )
  started.push(proc)
  let output = ''
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  const ready = new Promise<string>((resolve, reject) => {
    void exited.then((code) => reject(new Error(`nexus dev exited with ${code} before ready:\n${output}`)))
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      output += `${line}\n`
      if (line.startsWith('{"event":"ready"')) resolve((JSON.parse(line) as { url: string }).url)
    })
  })
  ready.catch(() => {})
  // Children come and go while it starts: remember every descendant ever seen.
  const seen = new Map<number, Proc>()
  let watching = true
  void (async () => {
    while (watching && proc.exitCode === null && proc.signalCode === null) {
      for (const p of await descendantsOf(proc.pid!)) seen.set(p.pid, p)
      await sleep(100)
    }
  })()
  return { proc, output: () => output, ready, exited, seen, stopWatching: () => (watching = false) }
}

async function readLog(functionId: string): Promise<Invocation[]> {
  const database = await createDatabase({ dataDir: join(root, 'nexus', 'gateway') })
  try {
    const log = createLog({ db: database.db })
    return await log.range(functionId, 0n, 100_000)
  } finally {
    await database.close()
  }
}

test('SIGINT under load: nothing is appended after the signal, every acknowledged invocation settles, no process is left', async () => {
  const dev = startDev(['--examples', helloExamples])
  const url = await dev.ready
  // Warm up: the first invocation waits for every replica to compile hello, which is not what
  // the drain below is about (its bound is 10 s).
  const first = (await (await fetch(`${url}/v1/functions/hello/invoke?timeoutMs=60000`, { method: 'POST', body: '{}' })).json()) as {
    id: string
    state: string
  }
  for (let state = first.state, tries = 0; state !== 'attested'; tries++) {
    if (tries > 300) throw new Error('the warm-up invocation was never attested')
    await sleep(1000)
    state = ((await (await fetch(`${url}/v1/results/${first.id}`)).json()) as { state: string }).state
  }
  const acked: { id: string; seq: bigint; sentAt: number }[] = []
  let signalAt = Infinity
  let done = false
  const refusals: string[] = []
  const worker = async (w: number) => {
    for (let k = 0; !done; k++) {
      const sentAt = performance.now()
      try {
        const res = await fetch(`${url}/v1/functions/hello/invoke?mode=async`, { method: 'POST', body: `{"name":"w${w}-${k}"}` })
        const body = (await res.json()) as { id?: string; seq?: string; error?: { code: string } }
        if (res.status === 202) acked.push({ id: body.id!, seq: BigInt(body.seq!), sentAt })
        else refusals.push(`${res.status} ${body.error?.code}`)
      } catch (err) {
        if (performance.now() < signalAt) throw err
        refusals.push(String((err as Error).cause ?? err))
        await sleep(50)
      }
    }
  }
  const workers = Array.from({ length: 4 }, (_, w) => worker(w))
  while (acked.length < 40) await sleep(20)
  signalAt = performance.now()
  const ackedAtSignal = acked.length
  dev.proc.kill('SIGINT')
  // Keep sending for a while after the signal, on the same keep-alive connections.
  await sleep(3000)
  done = true
  await Promise.all(workers)
  expect(await dev.exited).toBe(0)
  dev.stopWatching()

  // Requests sent well after the signal were all refused (503 SHUTTING_DOWN or no connection).
  expect(acked.filter((a) => a.sentAt > signalAt + 500)).toEqual([])
  expect(refusals.length).toBeGreaterThan(0)
  expect(acked.length).toBeGreaterThanOrEqual(ackedAtSignal)
  const rows = await readLog('hello')
  expect(rows.shift()!.seq).toBe(1n) // the warm-up
  expect(new Set(rows.map((r) => r.id))).toEqual(new Set(acked.map((a) => a.id)))
  expect(rows.at(-1)!.seq).toBe(acked.reduce((max, a) => (a.seq > max ? a.seq : max), 0n))
  // Drained: everything acknowledged was settled before the stop finished.
  expect(rows.filter((r) => r.state === 'pending').map((r) => r.seq)).toEqual([])
  await expectAllGone([...dev.seen.values()])
  // Item 7: the state the stack wrote (thousands of PGlite files, keys, deploy key) is this user's alone.
  expect(execFileSync('find', [join(root, 'nexus'), '-perm', '/077'], { encoding: 'utf8' })).toBe('')
}, 600_000)

test('a second SIGINT forces the stop (exit 130) and leaves no process behind', async () => {
  const dev = startDev(['--examples', helloExamples])
  const url = new URL(await dev.ready)
  // A request whose body never comes keeps the first stop waiting (up to its 10 s grace).
  const stuck = connect(Number(url.port), url.hostname)
  stuck.on('error', () => {})
  await new Promise<void>((resolve) => stuck.once('connect', () => resolve()))
  stuck.write('POST /v1/functions/hello/invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{')
  await sleep(200)
  dev.proc.kill('SIGINT')
  // Signals sent back to back may arrive as one: the second goes once the first was seen.
  while (!dev.output().includes('stopping…')) await sleep(20)
  dev.proc.kill('SIGINT')
  expect(await dev.exited).toBe(130)
  stuck.destroy()
  dev.stopWatching()
  expect(dev.seen.size).toBeGreaterThanOrEqual(4)
  await expectAllGone([...dev.seen.values()])
}, 600_000)

test('SIGKILL of nexus dev leaves no process behind', async () => {
  const dev = startDev(['--examples', helloExamples])
  await dev.ready
  const children = await descendantsOf(dev.proc.pid!)
  expect(children.length).toBeGreaterThanOrEqual(4) // the replicas (and their own helpers, if any)
  dev.proc.kill('SIGKILL')
  await dev.exited
  dev.stopWatching()
  await expectAllGone([...children, ...dev.seen.values()])
}, 600_000)

test('a start that fails midway (gateway port in use) stops anvil and the replicas it started', async () => {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  const port = (blocker.address() as AddressInfo).port
  try {
    const dev = startDev(['--examples', chainExamples, '--port', String(port)])
    const code = await dev.exited
    dev.stopWatching()
    expect(code).toBe(1)
    expect(dev.output()).toContain('EADDRINUSE')
    // After the SIGKILL above, the stores opened again: their locks died with their holders.
    expect(dev.output()).not.toContain('in use by process')
    // anvil's guard, anvil and four replicas were running before the failure.
    expect(dev.seen.size).toBeGreaterThanOrEqual(6)
    await expectAllGone([...dev.seen.values()])
  } finally {
    blocker.close()
  }
}, 600_000)

test('a process that started anvil and dies by SIGKILL takes anvil with it', async () => {
  const script = `import { startAnvil } from ${JSON.stringify(join(repoRoot, 'contracts/src/anvil.ts'))}
    await startAnvil(); console.log('up'); setInterval(() => {}, 1000)`
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] })
  started.push(parent)
  await new Promise<void>((resolve, reject) => {
    parent.once('exit', (code) => reject(new Error(`exited with ${code}`)))
    createInterface({ input: parent.stdout! }).on('line', (line) => line === 'up' && resolve())
  })
  const children = await descendantsOf(parent.pid!)
  expect(children.length).toBe(2) // the guard and anvil
  parent.kill('SIGKILL')
  await expectAllGone(children, 10_000)
})
