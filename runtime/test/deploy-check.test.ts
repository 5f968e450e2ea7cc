// The deploy-time checks the gateway runs before 201 (runtime/src/build/manifest.ts and
// check-component.ts), on real components: the hand-written WAT echo, and the same module wrapped
// for worlds that differ from nexus:function in one way each.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { witDir } from '@nexus/protocol/wit'
import { describe, expect, test } from 'vitest'
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco'
import { manifestFor } from '../src/build/artifact.ts'
import { checkComponent } from '../src/build/check-component.ts'
import { InvalidManifestError, parseManifest, sameManifest } from '../src/build/manifest.ts'

const wat = await readFile(new URL('./fixtures/echo.wat', import.meta.url), 'utf8')
const witSource = await readFile(join(witDir, 'nexus.wit'), 'utf8')

/** The echo module with `extraImports` prepended, embedded for `world` and made a component. */
async function component(world = witSource, extraImports = '', rename?: [string, string]): Promise<Uint8Array> {
  let text = wat.replace('(memory', `${extraImports}\n  (memory`)
  if (rename) text = text.replaceAll(`"${rename[0]}"`, `"${rename[1]}"`).replace(`cabi_post_${rename[0]}`, `cabi_post_${rename[1]}`)
  return componentNew(await componentEmbed({ binary: await parse(text), witSource: world, world: 'nexus:function/function' }))
}

const fieldOf = (fn: () => unknown) => {
  try {
    fn()
  } catch (err) {
    if (err instanceof InvalidManifestError) return err.field
    throw err
  }
  return 'accepted'
}

describe('manifest', () => {
  const good = manifestFor('echo', new Uint8Array([0, 97, 115, 109, 13, 0, 1, 0])) as unknown as Record<string, unknown>
  const limits = good.limits as Record<string, number>

  test('a built manifest parses; every limit must be present and in range, errors name the field', () => {
    expect(parseManifest(good).limits).toEqual(limits)
    const without = (key: string) => Object.fromEntries(Object.entries(limits).filter(([k]) => k !== key))
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, limits: undefined }, 'manifest.limits'],
      [{ ...good, limits: without('fuel') }, 'manifest.limits.fuel'],
      [{ ...good, limits: without('maxOutputBytes') }, 'manifest.limits.maxOutputBytes'],
      [{ ...good, limits: { ...limits, fuel: -5 } }, 'manifest.limits.fuel'],
      [{ ...good, limits: { ...limits, fuel: 0 } }, 'manifest.limits.fuel'],
      [{ ...good, limits: { ...limits, fuel: 1.5 } }, 'manifest.limits.fuel'],
      [{ ...good, limits: { ...limits, fuel: '100' } }, 'manifest.limits.fuel'],
      [{ ...good, limits: { ...limits, fuel: 1e12 } }, 'manifest.limits.fuel'],
      [{ ...good, limits: { ...limits, memoryPages: 0 } }, 'manifest.limits.memoryPages'],
      [{ ...good, limits: { ...limits, memoryPages: 65_537 } }, 'manifest.limits.memoryPages'],
      [{ ...good, limits: { ...limits, maxKeyBytes: -1 } }, 'manifest.limits.maxKeyBytes'],
      [{ ...good, limits: { ...limits, surprise: 1 } }, 'manifest.limits.surprise'],
      [{ ...good, limits: { ...limits, maxWriteKeys: 0 } }, 'manifest.limits.maxWriteKeys'],
      [{ ...good, world: 'wasi:cli/command' }, 'manifest.world'],
      [{ ...good, meter: 'none' }, 'manifest.meter'],
      [{ ...good, name: 'Bad Name' }, 'manifest.name'],
      [{ ...good, codeHash: '0x12' }, 'manifest.codeHash'],
      [{ ...good, triggers: [{ kind: 'teleport' }] }, 'manifest.triggers[0].kind'],
      [{ ...good, triggers: 'all' }, 'manifest.triggers'],
      [[], 'manifest'],
    ]
    for (const [manifest, field] of cases) expect({ manifest, field: fieldOf(() => parseManifest(manifest)) }).toEqual({ manifest, field })
    // The write caps another part may add are optional, and accepted in range.
    expect(parseManifest({ ...good, limits: { ...limits, maxWriteKeys: 10_000, maxWriteBytes: 1 << 20 } }).limits).toMatchObject({ maxWriteKeys: 10_000 })
  })

  test('the same manifest under another function name is the same artifact; other limits or triggers are not', () => {
    expect(sameManifest(good, { ...good, name: 'other' })).toBe(true)
    expect(sameManifest(good, JSON.parse(JSON.stringify({ limits, ...good })))).toBe(true) // key order does not matter (jsonb)
    expect(sameManifest(good, { ...good, limits: { ...limits, fuel: 1 } })).toBe(false)
    expect(sameManifest(good, { ...good, triggers: [{ kind: 'cron', schedule: '* * * * *' }] })).toBe(false)
  })
})

describe('component against the nexus:function world', () => {
  const check = (c: Uint8Array) => checkComponent(c, { memoryPages: 16 })

  test('the WAT echo component passes', async () => {
    await expect(check(await component())).resolves.toBeUndefined()
  })

  // Issue 18 added `crypto`: components built before it import the world without it and must still
  // deploy; one importing keccak256 with the world's type passes, with another type it is refused.
  test('the world before `crypto` still passes; crypto.keccak256 is checked like every import', async () => {
    const before = witSource.replace(/\/\/\/[^\n]*\n\/\/\/[^\n]*\ninterface crypto \{[\s\S]*?\n\}\n/, '').replace('  import crypto;\n', '')
    expect(before).not.toContain('crypto')
    await expect(check(await component(before, '(import "nexus:function/kv@0.1.0" "delete" (func (param i32 i32) (result i32)))'))).resolves.toBeUndefined()
    const keccak = '(import "nexus:function/crypto@0.1.0" "keccak256" (func (param i32 i32 i32)))'
    await expect(check(await component(witSource, keccak))).resolves.toBeUndefined()
    const otherKeccak = witSource.replace('keccak256: func(data: list<u8>) -> list<u8>;', 'keccak256: func(data: string) -> list<u8>;')
    await expect(check(await component(otherKeccak, keccak))).rejects.toThrow(
      /imports "nexus:function\/crypto@0.1.0" item "keccak256" with a type the world does not give it/,
    )
  })

  test('an import outside the world, a world interface with another type, a missing export: refused', async () => {
    const random = `package nexus:function@0.1.0;
world function { import wasi:random/random@0.2.0; export handle: func(input: list<u8>) -> result<list<u8>, string>; }
package wasi:random@0.2.0 { interface random { get-random-u64: func() -> u64; } }`
    await expect(check(await component(random, '(import "wasi:random/random@0.2.0" "get-random-u64" (func (result i64)))'))).rejects.toThrow(
      /imports "wasi:random\/random@0.2.0", which is not in the nexus:function world/,
    )

    const otherKv = `package nexus:function@0.1.0;
interface kv { get: func(key: u32) -> u32; }
world function { import kv; export handle: func(input: list<u8>) -> result<list<u8>, string>; }`
    await expect(check(await component(otherKv, '(import "nexus:function/kv@0.1.0" "get" (func (param i32) (result i32)))'))).rejects.toThrow(
      /item "get" with a type the world does not give it/,
    )

    const noHandle = `package nexus:function@0.1.0;
world function { export run: func(input: list<u8>) -> result<list<u8>, string>; }`
    await expect(check(await component(noHandle, '', ['handle', 'run']))).rejects.toThrow(/must export handle: func/)

    const otherHandle = `package nexus:function@0.1.0;
world function { export handle: func(input: list<u8>) -> list<u8>; }`
    await expect(check(await component(otherHandle))).rejects.toThrow(/must export handle: func/)
  })

  test('a valid header with a garbage body, or a truncated component: refused with a typed error', async () => {
    const good = await component()
    const garbage = new Uint8Array(good.length)
    garbage.set(good.subarray(0, 8))
    for (let i = 8; i < garbage.length; i++) garbage[i] = (i * 131 + 7) & 0xff
    await expect(check(garbage)).rejects.toMatchObject({ code: 'INVALID_ARTIFACT' })
    await expect(check(good.subarray(0, good.length - 20))).rejects.toMatchObject({ code: 'INVALID_ARTIFACT' })
    await expect(check(good.subarray(0, 8))).rejects.toMatchObject({ code: 'INVALID_ARTIFACT' })
  })
})
