// The published shape (`npm run build`): plain Node runs cli/dist without tsx; `nexus --help` loads
// nothing but main.js and `nexus verify` only the attestation code; the bin prefers dist/; and a
// handler importing one name from @nexus/framework's root entry bundles for a neutral platform
// without Node built-ins or curve code.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { writeSignedResult } from '@nexus/testkit/signed-result'
import { buildDist } from '@nexus/testkit/dist'

const exec = promisify(execFile)
const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const mainJs = join(repoRoot, 'cli/dist/main.js')
let dir: string

// Records every module URL the child loads: a load hook, registered before the command's own code.
const traceHooks = `
import { appendFileSync } from 'node:fs'
let file
export function initialize(data) { file = data.file }
export async function load(url, context, next) { appendFileSync(file, url + '\\n'); return next(url, context) }
`
const traceRegister = (hooks: string, file: string) => `
import { register } from 'node:module'
register(${JSON.stringify(pathToFileURL(hooks).href)}, { data: { file: ${JSON.stringify(file)} } })
`

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nexus-dist-'))
  // Incremental: a second of up-to-date checks when dist/ is fresh.
  await buildDist()
  await writeFile(join(dir, 'trace-hooks.mjs'), traceHooks)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

let runs = 0
/** Run a script on plain Node: no tsx, and without the `nexus-source` condition vitest puts in NODE_OPTIONS. */
async function plainNode(script: string, ...args: string[]) {
  const trace = join(dir, `trace-${++runs}.txt`)
  await writeFile(trace, '')
  await writeFile(join(dir, `trace-${runs}.mjs`), traceRegister(join(dir, 'trace-hooks.mjs'), trace))
  const { NODE_OPTIONS: _, ...env } = process.env
  const result = await exec(process.execPath, ['--import', pathToFileURL(join(dir, `trace-${runs}.mjs`)).href, script, ...args], { cwd: dir, env }).then(
    (r) => ({ code: 0, out: r.stdout.trim(), err: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout.trim(), err: e.stderr }),
  )
  const loaded = (await readFile(trace, 'utf8'))
    .split('\n')
    .filter((u) => u.startsWith('file:'))
    .map((u) => fileURLToPath(u))
  return { ...result, loaded, ownModules: loaded.filter((f) => f.startsWith(repoRoot) && !f.startsWith(dir)).map((f) => f.slice(repoRoot.length)) }
}

const heavyPackages = /^(gateway|runtime|contracts|circuits|framework)\/|node_modules\/(tsx|hono|drizzle-orm|@electric-sql|esbuild|snarkjs|ffjavascript)\//

test('nexus --help from dist: plain Node, loads main.js only; the bin picks dist/', async () => {
  const help = await plainNode(mainJs, '--help')
  expect(help.code, help.err).toBe(0)
  expect(help.out).toMatch(/^usage: nexus <command>/)
  expect(help.out).toContain('verify   verify an attested result')
  expect(help.ownModules).toEqual(['cli/dist/main.js'])

  const bin = await plainNode(join(repoRoot, 'cli/bin/nexus.js'), '--help')
  expect(bin.code, bin.err).toBe(0)
  expect(bin.out).toBe(help.out)
  expect(bin.ownModules).toEqual(['cli/bin/nexus.js', 'cli/dist/main.js'])

  const unknown = await plainNode(mainJs, 'nope')
  expect(unknown).toMatchObject({ code: 2, ownModules: ['cli/dist/main.js'] })
  expect(unknown.err).toContain('nexus: unknown command "nope"')
})

test('nexus keygen + verify from dist: plain Node; verify loads the attestation code, not the gateway, runtime or contracts', async () => {
  const keys = join(dir, 'keys')
  expect((await plainNode(mainJs, 'keygen', '--t', '2', '--n', '3', '--out', keys, '--seed', 'dist')).code).toBe(0)
  const digest = await writeSignedResult({
    keysDir: keys,
    file: join(dir, 'result.json'),
    signers: [1, 3],
    functionId: 'dist',
    verifier: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  })

  const verify = await plainNode(mainJs, 'verify', join(dir, 'result.json'), '--network', join(keys, 'network.json'))
  expect(verify, verify.err).toMatchObject({ code: 0, out: `ok ${digest}` })
  expect(verify.ownModules).toContain('cli/dist/commands/verify.js')
  expect(verify.ownModules).toContain('protocol/dist/attest/index.js')
  expect(verify.ownModules.filter((f) => heavyPackages.test(f))).toEqual([])
  expect(verify.loaded.filter((f) => f.endsWith('.ts'))).toEqual([])
})

test('a handler importing NexusError from the framework root entry bundles for a neutral platform: no node: built-ins, no curve code', async () => {
  const result = await build({
    stdin: { contents: "import { NexusError } from '@nexus/framework'\nexport const E = NexusError\n", resolveDir: repoRoot, loader: 'js' },
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'neutral',
    // What a function's bundle uses (framework/src/build/bundle-entry.ts); no `nexus-source`: the published dist/.
    mainFields: ['module', 'main'],
    conditions: ['browser', 'import', 'default'],
    minify: true,
    logLevel: 'silent',
  })
  const [output] = Object.values(result.metafile.outputs)
  const contributing = Object.entries(output!.inputs)
    .filter(([, i]) => i.bytesInOutput > 0)
    .map(([path]) => path)
  expect(contributing).toContain('protocol/dist/errors/base.js')
  expect(contributing.filter((p) => /@noble\/curves|node:|\.ts$/.test(p))).toEqual([])
  const code = result.outputFiles[0]!.text
  expect(code).not.toMatch(/["']node:/)
  expect(code.length).toBeLessThan(8_000)
})
