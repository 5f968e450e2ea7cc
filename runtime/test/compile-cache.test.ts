// The compile cache outlives state folders (it is the user's Nexus cache), so what is in it must be
// checked before it is run: a damaged entry (a truncated module, a module added beside the
// compile's) is found and compiled again; the gateway's deploy check records its pass in the entry
// and is not redone for the same code, unless the entry is damaged.
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { witDir } from '@nexus/protocol/wit'
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco'
import { beforeAll, expect, test } from 'vitest'
import { compileComponent } from '../src/index.ts'
import { checkComponent } from '../src/build/check-component.ts'
import { entryIsValid } from '../src/build/compile.ts'
import { loadCompiled } from '../src/sandbox/load-compiled.ts'
import { defaultLimits } from '../src/sandbox/limits.ts'

let component: Uint8Array
let wat: string
beforeAll(async () => {
  wat = await readFile(new URL('./fixtures/echo.wat', import.meta.url), 'utf8')
  const witSource = await readFile(join(witDir, 'nexus.wit'), 'utf8')
  component = await componentNew(await componentEmbed({ binary: await parse(wat), witSource, world: 'nexus:function/function' }))
})

const options = async () => ({ cacheDir: await mkdtemp(join(tmpdir(), 'nexus-compile-cache-')), memoryPages: defaultLimits.memoryPages })
const coreModule = async (dir: string) => (await readdir(dir)).find((f) => f.endsWith('.wasm'))!
const readyOf = async (dir: string) => {
  const s = await stat(join(dir, 'READY'))
  return [s.ino, s.mtimeMs]
}

test('an entry with READY but a truncated module is found damaged and compiled again', async () => {
  const o = await options()
  const { dir, codeHash } = await compileComponent(component, o)
  const module = await coreModule(dir)
  const good = await readFile(join(dir, module))
  await writeFile(join(dir, module), good.subarray(0, good.length >> 1))
  expect(await entryIsValid(dir, codeHash)).toBe(false)

  const again = await compileComponent(component, o)
  expect(again.dir).toBe(dir)
  // Not byte-equal to the first compile: binaryen numbers its log-execution hook calls with a
  // counter that lives as long as the compile process (the hook ignores the number; fuel is the same).
  expect((await readFile(join(dir, module))).length).not.toBe(good.length >> 1)
  expect(await entryIsValid(dir, codeHash)).toBe(true)
  expect((await loadCompiled(dir)).modules.size).toBeGreaterThan(0)
})

test('a module added to an entry (loadCompiled loads every .wasm) makes it damaged; so does a READY of other code', async () => {
  const o = await options()
  const { dir, codeHash } = await compileComponent(component, o)
  await writeFile(join(dir, 'planted.wasm'), new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))
  expect(await entryIsValid(dir, codeHash)).toBe(false)
  await compileComponent(component, o)
  expect(await readdir(dir)).not.toContain('planted.wasm')

  await writeFile(join(dir, 'READY'), `0x${'00'.repeat(32)}`)
  expect(await entryIsValid(dir, codeHash)).toBe(false)
  await compileComponent(component, o)
  expect(await readFile(join(dir, 'READY'), 'utf8')).toBe(codeHash)
})

test('the deploy check records its pass in the entry and then trusts it instead of checking and compiling again; a damaged entry is checked again', async () => {
  const o = await options()
  await checkComponent(component, o)
  const { dir, codeHash } = await compileComponent(component, o)
  const passed = (await readdir(dir)).find((f) => f.startsWith('world-checked-'))
  expect(passed).toBeDefined()

  // A component the replicas compile but the world check refuses (handle without a result type).
  // Its entry without a recorded pass: refused. With one (as if checked before): not checked again.
  const otherWorld = `package nexus:function@0.1.0;
world function { export handle: func(input: list<u8>) -> list<u8>; }`
  const refused = await componentNew(await componentEmbed({ binary: await parse(wat), witSource: otherWorld, world: 'nexus:function/function' }))
  const entry = await compileComponent(refused, o)
  await expect(checkComponent(refused, o)).rejects.toThrow(/must export handle: func/)
  await writeFile(join(entry.dir, passed!), '')
  await expect(checkComponent(refused, o)).resolves.toBeUndefined()

  // A damaged entry's record does not count: the check and the compile run, the entry is whole again.
  const before = await readyOf(dir)
  const module = await coreModule(dir)
  await writeFile(join(dir, module), 'torn')
  await checkComponent(component, o)
  expect(await entryIsValid(dir, codeHash)).toBe(true)
  expect(await readyOf(dir)).not.toEqual(before)
  expect((await readdir(dir)).some((f) => f.startsWith('world-checked-'))).toBe(true)
})
