// The compile step's rewrite of jco's host trampolines (build/lean-glue.ts): on the pinned jco it
// reaches every import of the nexus:function world, a shape it does not know is left as jco wrote
// it, and a component answers exactly as under jco's own glue: outputs, errors, traps, fuel, writes
// and logs, on every host interface and at fuel budgets that run out inside host calls.
import { mkdtemp, readdir, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { transpile } from '@bytecodealliance/jco'
import { beforeAll, expect, test } from 'vitest'
import { buildHandler, compileComponent } from '../src/index.ts'
import { leanGlue } from '../src/build/lean-glue.ts'
import { loadCompiled } from '../src/sandbox/load-compiled.ts'
import { ComponentRunner } from '../src/sandbox/run-invocation.ts'
import { defaultLimits } from '../src/sandbox/limits.ts'

const fixture = new URL('./fixtures/mixed-handler.ts', import.meta.url).pathname
let jcoGlue: string
let leanDir: string

beforeAll(async () => {
  const artifact = await buildHandler(fixture, { name: 'lean-glue' })
  ;({ dir: leanDir } = await compileComponent(artifact.component, {
    cacheDir: await mkdtemp(join(tmpdir(), 'nexus-lean-glue-')),
    memoryPages: artifact.manifest.limits.memoryPages,
  }))
  const { files } = await transpile(artifact.component, { name: 'component', instantiation: 'sync', noTypescript: true })
  jcoGlue = new TextDecoder().decode(files['component.js'])
}, 120_000)

test('on the pinned jco every import of the world calls the host directly', () => {
  const { source, direct } = leanGlue(jcoGlue)
  const worldImports = [...jcoGlue.matchAll(/_trampoline\d+\.fnName = '(nexus:function\/[^']+)'/g)].map((m) => m[1])
  expect(worldImports.length).toBeGreaterThanOrEqual(20)
  expect(direct.sort()).toEqual(worldImports.sort())
  expect(source).not.toContain('process?.env?.JCO_DEBUG) { return; }')
  // What is left of jco's task machinery serves the export's call, not the imports.
  for (const [, index] of jcoGlue.matchAll(/_trampoline(\d+)\.fnName = 'nexus:function\//g)) {
    expect(source).toContain(`\n  let trampoline${index} = _trampoline${index};\n`)
  }
})

test('a trampoline of a shape it does not know is left as jco wrote it', () => {
  const kvGet = /(\n  const _trampoline(\d+) = function\([^)]*\) \{\n[\s\S]*?\n  _trampoline\2\.fnName = 'nexus:function\/kv@0\.1\.0#get';)/
  const [whole, , index] = jcoGlue.match(kvGet)!
  const changed = whole.replace('const started = task.enterSync();', 'const started = task.enterSync();\n    task.somethingNew();')
  const { source, direct } = leanGlue(jcoGlue.replace(whole, changed))
  expect(direct).not.toContain('nexus:function/kv@0.1.0#get')
  expect(direct.length).toBeGreaterThan(0)
  expect(source).toContain(changed)
  expect(source).toContain(`\n  let trampoline${index} = _trampoline${index}.manuallyAsync ? new WebAssembly.Suspending(`)
  // Not jco's output at all: returned unchanged.
  expect(leanGlue('export function instantiate() {}')).toEqual({ source: 'export function instantiate() {}', direct: [] })
})

test('a component answers exactly as under jco’s own glue', async () => {
  // The same metered modules beside jco's unrewritten glue.
  const jcoDir = await mkdtemp(join(tmpdir(), 'nexus-jco-glue-'))
  for (const name of await readdir(leanDir)) if (name.endsWith('.wasm') || name === 'package.json') await symlink(join(leanDir, name), join(jcoDir, name))
  await writeFile(join(jcoDir, 'component.js'), jcoGlue)
  const lean = new ComponentRunner(await loadCompiled(leanDir))
  const jco = new ComponentRunner(await loadCompiled(jcoDir))

  const info = { functionId: 'f', seq: 7n, trigger: 'http', chainId: 1n, blockNumber: 3n, timestampMs: 1_700_000_000_000n, randomSeed: `0x${'ab'.repeat(32)}` }
  const noState = <T>() => null as T
  const ops = [
    { op: 'incr', key: 'k', n: 5 },
    { op: 'del', key: 'k' },
    { op: 'scan', key: '' },
    { op: 'append', path: 'a.txt', text: 'héllo 🌍' },
    { op: 'cat', path: 'missing' },
    { op: 'fs-error', path: 'missing' },
    { op: 'mkdir', path: 'd' },
    { op: 'ls', path: '' },
    { op: 'mv', path: 'missing', to: 'b' },
    { op: 'rm', path: 'missing' },
    { op: 'random' },
    { op: 'clock' },
    { op: 'float' },
    { op: 'log', text: 'from the guest' },
    { op: 'set-then-throw', key: 'k' },
    { op: 'throw', text: 'on purpose' },
    { op: 'spin', n: 5000 },
    { op: 'echo', text: 'x'.repeat(10_000) },
    { op: 'alloc' },
    { op: 'loop' },
  ]
  let compared = 0
  for (const op of ops) {
    const input = new TextEncoder().encode(JSON.stringify(op))
    const full = jco.run(info, input, defaultLimits, noState)
    expect(lean.run(info, input, defaultLimits, noState), op.op).toEqual(full)
    // Budgets that run out part-way, most of them inside a host call's charge.
    const used = Number(full.fuelUsed)
    for (const fuel of [Math.floor(used / 3), Math.floor(used / 2), used - 1]) {
      if (fuel <= 0 || fuel >= defaultLimits.fuel) continue
      const limits = { ...defaultLimits, fuel }
      expect(lean.run(info, input, limits, noState), `${op.op} with ${fuel} fuel`).toEqual(jco.run(info, input, limits, noState))
      compared++
    }
  }
  expect(compared).toBeGreaterThan(40)
  // Both kept answering after the traps above, each from a reset or a rebuilt instance.
  const input = new TextEncoder().encode(JSON.stringify({ op: 'incr', key: 'z' }))
  expect(lean.run(info, input, defaultLimits, noState)).toEqual(jco.run(info, input, defaultLimits, noState))
}, 120_000)
