// `nexus dev` in a project folder, as a user runs it: the real command as a child process in a
// project `nexus init` wrote outside the repository (its node_modules a link to the repository's,
// as an installed project's would be), 2-of-2 from its nexus.config.ts, real replica processes,
// gateway on PGlite in the project's .nexus/. Then the edit loop: a saved handler is rebuilt and
// its new version is live from the next seq with its KV kept, the other function untouched; a bad
// config is reported and the old versions keep serving; a syntax error is printed as
// file:line:col while the other function keeps serving; the fix goes live; SIGTERM exits 0.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { initProject } from '../src/commands/init.ts'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let base: string
let project: string
let dev: ChildProcess | undefined
const lines: string[] = []
let exited: Promise<number | null>

/** The first output line from index `from` on matching `pattern`, waiting for it up to `ms`. */
async function waitFor(pattern: RegExp, from: number, ms = 300_000): Promise<{ line: string; index: number; match: RegExpExecArray }> {
  const deadline = Date.now() + ms
  for (;;) {
    for (let i = from; i < lines.length; i++) {
      const match = pattern.exec(lines[i]!)
      if (match) return { line: lines[i]!, index: i, match }
    }
    if (dev?.exitCode !== null) throw new Error(`nexus dev exited (${dev?.exitCode}) before ${pattern}:\n${lines.join('\n')}`)
    if (Date.now() > deadline) throw new Error(`no line matching ${pattern} within ${ms / 1000} s:\n${lines.slice(from).join('\n')}`)
    await sleep(100)
  }
}

let url: string
type Answer = { state: string; status: string; resultUrl: string; seq: string; result: { output: string }; error?: unknown }
/** POST a function's HTTP route and wait for its attested result; the decoded output and seq. */
async function call(fn: string, path: string, body: unknown): Promise<{ output: unknown; seq: string }> {
  const res = await fetch(`${url}/v1/functions/${fn}/http${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  let answer = (await res.json()) as Answer
  expect([200, 202], JSON.stringify(answer)).toContain(res.status)
  // Pending while the replicas compile a new version on a loaded machine.
  for (let i = 0; answer.state === 'pending' && i < 300; i++) {
    await sleep(1000)
    answer = (await (await fetch(`${url}${answer.resultUrl}`)).json()) as Answer
  }
  expect(answer, JSON.stringify(answer)).toMatchObject({ state: 'attested', status: 'ok' })
  return { output: JSON.parse(Buffer.from(answer.result.output.slice(2), 'hex').toString()), seq: answer.seq }
}

const helloFile = () => join(project, 'handlers', 'hello.ts')
/** Replace each `[from, to]` in handlers/hello.ts, saved in one write. */
async function editHello(...edits: [string, string][]) {
  let text = await readFile(helloFile(), 'utf8')
  for (const [from, to] of edits) {
    expect(text).toContain(from)
    text = text.replace(from, to)
  }
  await writeFile(helloFile(), text)
}

beforeAll(async () => {
  // Outside the repository: nothing resolves through the repository's folders but the link below.
  base = await mkdtemp(join(tmpdir(), 'nexus-dev-project-'))
  project = join(base, 'app')
  await initProject(project)
  await symlink(join(repoRoot, 'node_modules'), join(project, 'node_modules'), 'dir')
  const config = await readFile(join(project, 'nexus.config.ts'), 'utf8')
  await writeFile(join(project, 'nexus.config.ts'), config.replace('replicas: 4', 'replicas: 2').replace('threshold: 3', 'threshold: 2'))
  // A second function, in its own file, that the edits below never touch.
  await writeFile(
    join(project, 'handlers', 'echo.ts'),
    `import { onHttp, type RequestContext } from '@nexus/framework/decorators'

export class Echo {
  @onHttp({ method: 'POST', path: '/echo' })
  echo(ctx: RequestContext) {
    return { echo: ctx.request.text() }
  }
}
`,
  )
  const { DATABASE_URL: _, ...env } = process.env
  dev = spawn(
    process.execPath,
    ['--experimental-wasm-extended-const', '--conditions=nexus-source', '--import', 'tsx', join(repoRoot, 'cli/src/main.ts'), 'dev', '--port', '0'],
    { cwd: project, stdio: ['ignore', 'pipe', 'pipe'], env },
  )
  exited = new Promise((resolve) => dev!.once('exit', (code) => resolve(code)))
  createInterface({ input: dev.stdout! }).on('line', (line) => lines.push(line))
  createInterface({ input: dev.stderr! }).on('line', (line) => lines.push(`[stderr] ${line}`))
}, 60_000)

afterAll(async () => {
  // What nexus dev printed, for a look at the console a user sees.
  if (process.env.NEXUS_DEV_TRANSCRIPT) await writeFile(process.env.NEXUS_DEV_TRANSCRIPT, `${lines.join('\n')}\n`)
  if (dev && dev.exitCode === null && dev.signalCode === null) {
    dev.kill('SIGKILL')
    await exited
  }
  await rm(base, { recursive: true, force: true })
})

test('nexus dev in a project: build, watch, redeploy on save, errors with file:line:col, clean stop', { timeout: 1_500_000 }, async () => {
  // Started from the config: 2-of-2, state in the project's .nexus/, both functions built and live.
  const ready = await waitFor(/^\{"event":"ready"/, 0, 600_000)
  const info = JSON.parse(ready.line) as { url: string; functions: string[]; failed: string[] }
  url = info.url
  expect(info.functions.sort()).toEqual(['app-echo', 'app-hello'])
  expect(info.failed).toEqual([])
  const startup = lines.slice(0, ready.index).join('\n')
  expect(startup).toContain(`project app in ${project} (2-of-2, state in ${join(project, '.nexus')})`)
  expect(startup).toMatch(/^started 2 replicas \(\d+\.\d s\)$/m)
  expect(startup).toMatch(/^built app-hello \(\d+\.\d s(, cached)?\)$/m)
  expect(startup).toMatch(/^function app-hello: v1 live from seq 1 \(\d+\.\d s\)$/m)
  expect(startup).toContain(`  route   POST ${url}/v1/functions/app-hello/http/hello`)
  expect(startup).not.toContain('devnet') // HTTP only: no anvil
  expect(existsSync(join(project, '.nexus', 'deploy-api-key'))).toBe(true)
  expect(existsSync(join(project, '.nexus', 'build', 'app-hello', 'component.wasm'))).toBe(true)

  expect(await call('app-hello', '/hello', { name: 'a' })).toEqual({ output: { greeting: 'hello, a', count: 1, seq: '1' }, seq: '1' })

  // Save an edit: only app-hello is rebuilt and redeployed, live from the next seq; KV kept.
  let mark = lines.length
  await editHello(['`hello, ${name}`', '`hey, ${name}`'])
  const live = await waitFor(/^function app-hello: v2 live from seq 2 \((\d+\.\d) s\)$/, mark)
  expect(lines.slice(mark, live.index).join('\n')).toMatch(/^changed: handlers\/hello\.ts$/m)
  expect(lines.slice(mark).some((l) => l.startsWith('function app-echo'))).toBe(false)
  expect(await call('app-hello', '/hello', { name: 'b' })).toEqual({ output: { greeting: 'hey, b', count: 2, seq: '2' }, seq: '2' })

  // A config that does not load: said so, nothing redeployed; restoring it changes no function.
  const config = await readFile(join(project, 'nexus.config.ts'), 'utf8')
  mark = lines.length
  await writeFile(join(project, 'nexus.config.ts'), config.replace("name: 'app',", "name: 'app',,"))
  await waitFor(/^still serving the last version of every function; fix the config and save again$/, mark)
  const configLines = config.split('\n')
  const nameLine = configLines.findIndex((l) => l.includes("name: 'app',"))
  const at = `${nameLine + 1}:${configLines[nameLine]!.indexOf(',') + 2}`
  expect(lines.slice(mark)).toContain(`error: nexus.config.ts:${at}: Expected identifier but found ","`)
  mark = lines.length
  await writeFile(join(project, 'nexus.config.ts'), config)
  await waitFor(/^no function changed \(\d+\.\d s\)$/, mark)

  // A syntax error: file:line:col, app-hello keeps serving v2 and app-echo keeps serving.
  mark = lines.length
  await editHello(['const count = ', 'const count = )'])
  const error = await waitFor(/^error: handlers\/hello\.ts:(\d+):(\d+): /, mark)
  const source = (await readFile(helloFile(), 'utf8')).split('\n')
  const lineNo = source.findIndex((l) => l.includes('const count = )'))
  expect([Number(error.match[1]), Number(error.match[2])]).toEqual([lineNo + 1, source[lineNo]!.indexOf(')') + 1])
  await waitFor(/still serving app-hello v2/, mark)
  expect(await call('app-echo', '/echo', { x: 1 })).toMatchObject({ output: { echo: '{"x":1}' } })
  expect((await call('app-hello', '/hello', { name: 'c' })).output).toEqual({ greeting: 'hey, c', count: 3, seq: '3' })

  // Fixed (and changed): v3 from the next seq, the count still counting.
  mark = lines.length
  await editHello(['const count = )', 'const count = '], ['`hey, ${name}`', '`hola, ${name}`'])
  await waitFor(/^function app-hello: v3 live from seq 4 \(\d+\.\d s\)$/, mark)
  expect(await call('app-hello', '/hello', { name: 'd' })).toEqual({ output: { greeting: 'hola, d', count: 4, seq: '4' }, seq: '4' })

  // SIGTERM: a clean stop (the watcher, the gateway, the replicas), exit 0.
  dev!.kill('SIGTERM')
  expect(await exited).toBe(0)
  expect(lines.join('\n')).toContain('stopping… (SIGTERM again to force)')
})
