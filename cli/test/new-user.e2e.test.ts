// What a new user does, outside the repository, with the packages as they would be installed:
// `npm run pack` → `nexus init --from <packs>` in a temp folder → `npm install` → `nexus test`
// (the scaffold's own tests) → `nexus dev` in the project → call the scaffold's HTTP function →
// `nexus verify` the attested result → edit the handler and see the new version served by the same
// stack, state kept → `nexus deploy` a second project to that running gateway. Every step runs the
// installed `nexus` bin (plain Node, dist/), so a file left out of a package, an undeclared
// dependency or a path into the repository fails here. The timings print for the closing note.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify, stripVTControlCharacters } from 'node:util'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { buildDist } from '@nexus/testkit/dist'

const exec = promisify(execFile)
const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const MINUTE = 60_000
let base: string
let packs: string
let app: string
let dev: ChildProcess | undefined
let gatewayUrl = ''
const lines: string[] = []
const timings: Record<string, number> = {}
const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = []

/** A new user's shell: no vitest/tsx loader options or repo-only conditions, no CI database. */
const { NODE_OPTIONS: _, DATABASE_URL: _db, NATS_URL: _nats, ...userEnv } = process.env
const nexus = (cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  exec(join(cwd, 'node_modules/.bin/nexus'), args, { cwd, env: { ...userEnv, ...env }, maxBuffer: 16 * 1024 * 1024 })

const elapsed = (since: number) => Math.round(performance.now() - since)

function nextLine(pattern: RegExp, timeoutMs: number): Promise<string> {
  const seen = lines.find((l) => pattern.test(l))
  if (seen) return Promise.resolve(seen)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; last lines:\n${lines.slice(-30).join('\n')}`)),
      timeoutMs,
    )
    waiters.push({
      pattern,
      resolve: (line) => {
        clearTimeout(timer)
        resolve(line)
      },
    })
  })
}

type Answer = { state: string; status: string; resultUrl: string; result: { output: string } }
/** Call a route and wait for its attested result (the first call may still be compiling). */
async function call(url: string, body: unknown): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  let answer = (await res.json()) as Answer
  for (let i = 0; answer.state === 'pending' && i < 600; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    answer = (await (await fetch(`${gatewayUrl}${answer.resultUrl}`)).json()) as Answer
  }
  return answer
}
const output = (a: Answer) => JSON.parse(Buffer.from(a.result.output.slice(2), 'hex').toString())

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'nexus-new-user-'))
  packs = join(base, 'packs')
  app = join(base, 'app')
  let t = performance.now()
  await buildDist()
  await exec('sh', [join(repoRoot, 'scripts/pack.sh'), packs], { cwd: repoRoot, env: { ...userEnv, NEXUS_PACK_NO_BUILD: '1' } })
  timings.pack = elapsed(t)
  t = performance.now()
  await exec(process.execPath, [join(repoRoot, 'cli/dist/main.js'), 'init', app, '--from', packs], { cwd: base, env: userEnv })
  // From the npm cache the repository's own `npm ci` filled; the registry only for what is missing.
  await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, env: userEnv, maxBuffer: 16 * 1024 * 1024 })
  timings.install = elapsed(t)
}, 15 * MINUTE)

afterAll(async () => {
  if (dev && dev.exitCode === null) {
    dev.kill('SIGKILL')
  }
  console.log(`new-user timings (ms): ${JSON.stringify(timings)}`)
  await rm(base, { recursive: true, force: true })
})

test(
  'nexus test: the scaffold tests pass against the real build',
  async () => {
    const t = performance.now()
    const { stdout, stderr } = await nexus(app, ['test'])
    timings.test = elapsed(t)
    const printed = stripVTControlCharacters(`${stdout}${stderr}`)
    expect(printed).toMatch(/Tests\s+1 passed \| 1 todo/)
  },
  15 * MINUTE,
)

test(
  'nexus dev in the project, a verified result, an edit served live, a second project deployed',
  async () => {
    const started = performance.now()
    dev = spawn(join(app, 'node_modules/.bin/nexus'), ['dev', '--port', '0'], { cwd: app, env: userEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    for (const stream of [dev.stdout!, dev.stderr!])
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line)
        for (const w of [...waiters])
          if (w.pattern.test(line)) {
            waiters.splice(waiters.indexOf(w), 1)
            w.resolve(line)
          }
      })
    const ready = JSON.parse(await nextLine(/^\{"event":"ready"/, 10 * MINUTE)) as { url: string; functions: string[] }
    timings.devReady = elapsed(started)
    gatewayUrl = ready.url
    expect(ready.functions).toContain('app-hello')

    const route = `${gatewayUrl}/v1/functions/app-hello/http/hello`
    const first = await call(route, { name: 'nexus' })
    expect(first).toMatchObject({ state: 'attested', status: 'ok' })
    expect(output(first)).toMatchObject({ greeting: 'hello, nexus', count: 1 })
    // What the handler logged, on the dev console with its function and seq.
    await nextLine(/^app-hello#\d+ info: greeting #1 for nexus$/, 60_000)
    await writeFile(join(app, 'result.json'), JSON.stringify(first.result))
    const verified = await nexus(app, ['verify', 'result.json', '--network', '.nexus/keys/network.json'])
    expect(verified.stdout).toMatch(/^ok 0x[0-9a-f]{64}/m)
    timings.devToVerified = elapsed(started)

    // Save an edit: the same stack serves the new version, and the function's state is kept.
    const handler = join(app, 'handlers/hello.ts')
    const saved = performance.now()
    await writeFile(handler, (await readFile(handler, 'utf8')).replace('`hello, ${name}`', '`hi, ${name}`'))
    await nextLine(/app-hello: v2 live from seq \d+/, 5 * MINUTE)
    timings.saveToLive = elapsed(saved)
    const second = await call(route, { name: 'nexus' })
    expect(output(second)).toMatchObject({ greeting: 'hi, nexus', count: 2 })

    // A second project, deployed to the running gateway with the key nexus dev wrote.
    const other = join(base, 'other')
    await exec(process.execPath, [join(app, 'node_modules/@nexus/cli/bin/nexus.js'), 'init', other, '--from', packs], { cwd: base, env: userEnv })
    await symlink(join(app, 'node_modules'), join(other, 'node_modules'))
    const apiKey = (await readFile(join(app, '.nexus/deploy-api-key'), 'utf8')).trim()
    const deployed = await nexus(other, ['deploy', '--gateway', gatewayUrl], { NEXUS_API_KEY: apiKey })
    expect(deployed.stdout).toMatch(/other-hello\s+version 1 \(new\)/)
    const fromOther = await call(`${gatewayUrl}/v1/functions/other-hello/http/hello`, { name: 'other' })
    expect(output(fromOther)).toMatchObject({ greeting: 'hello, other', count: 1 })

    dev.kill('SIGTERM')
    const code = await new Promise<number | null>((resolve) => dev!.once('exit', (c) => resolve(c)))
    expect(code).toBe(0)
  },
  30 * MINUTE,
)
