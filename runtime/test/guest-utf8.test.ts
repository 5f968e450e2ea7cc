// The guest prelude's TextDecoder (QuickJS has none): every handler's input goes through it, so its
// cost is part of every invocation's fuel. Its fast path (native string building) must give exactly
// what the exact byte loop gives: the WHATWG decoder's result on well-formed UTF-8, and the loop's
// own result on anything else (the loop is what replicas ran before; results must not change).
import { createHash } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, expect, test } from 'vitest'
import { Status } from '@nexus/protocol'
import { bundleGuestSource, sourceConditions } from '../src/build/bundle.ts'
import { componentizeJs } from '../src/build/componentize.ts'
import { compileComponent } from '../src/build/compile.ts'
import { guestPrelude } from '../src/build/guest-prelude.ts'
import { defaultLimits } from '../src/sandbox/limits.ts'
import { loadCompiled } from '../src/sandbox/load-compiled.ts'
import { ComponentRunner } from '../src/sandbox/run-invocation.ts'

const info = { functionId: 'u', seq: 1n, trigger: 'http', chainId: 1n, blockNumber: 0n, timestampMs: 0n, randomSeed: `0x${'00'.repeat(32)}` }
let runner: ComponentRunner

beforeAll(async () => {
  const source = await bundleGuestSource({
    entryPoints: [fileURLToPath(new URL('./fixtures/utf8-handler.ts', import.meta.url))],
    conditions: [...sourceConditions, 'browser', 'import', 'default'],
    mainFields: ['module', 'main'],
    banner: { js: guestPrelude },
  })
  const { dir } = await compileComponent(await componentizeJs(source), {
    cacheDir: await mkdtemp(join(tmpdir(), 'nexus-guest-utf8-')),
    memoryPages: defaultLimits.memoryPages,
  })
  runner = new ComponentRunner(await loadCompiled(dir))
}, 120_000)

function guestDecode(bytes: Uint8Array) {
  const outcome = runner.run(info, bytes, defaultLimits, () => null)
  const output = new TextDecoder().decode(outcome.output)
  if (outcome.status !== Status.ok) return { error: output, fuel: outcome.fuelUsed }
  return { text: bytes[0] === 1 ? output : String.fromCharCode(...(JSON.parse(output) as number[])), fuel: outcome.fuelUsed }
}

/** The prelude's byte loop (guest-prelude.ts), as it decoded every input before the fast path. */
function byteLoop(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; ) {
    const c = b[i++]!
    let cp = 0xfffd
    if (c < 0x80) cp = c
    else if (c >= 0xc2 && c < 0xe0 && i < b.length) cp = ((c & 31) << 6) | (b[i++]! & 63)
    else if (c >= 0xe0 && c < 0xf0 && i + 1 < b.length) {
      cp = ((c & 15) << 12) | ((b[i]! & 63) << 6) | (b[i + 1]! & 63)
      i += 2
    } else if (c >= 0xf0 && c < 0xf5 && i + 2 < b.length) {
      cp = ((c & 7) << 18) | ((b[i]! & 63) << 12) | ((b[i + 1]! & 63) << 6) | (b[i + 2]! & 63)
      i += 3
    }
    s += String.fromCodePoint(cp) // throws beyond U+10FFFF (f4 90.. and up): the guest's did too
  }
  return s
}

/** Seeded bytes: SHA-256 of seed/counter. */
function seeded(seed: string) {
  let counter = 0
  return (n: number) => {
    const out: number[] = []
    while (out.length < n) out.push(...createHash('sha256').update(`${seed}/${counter++}`).digest())
    return Uint8Array.from(out.slice(0, n))
  }
}

test('well-formed UTF-8 decodes as WHATWG does; anything else as the byte loop did', () => {
  const enc = new TextEncoder()
  const valid = ['', 'plain ascii {"kind":"event"}', 'é€😀中\u0000\u007f\u0080\u07ff\u0800\uffff', '😀'.repeat(5000), 'x'.repeat(20_000)]
  for (const s of valid) {
    const bytes = enc.encode(s)
    expect(guestDecode(bytes).text, s.slice(0, 20)).toBe(new TextDecoder().decode(bytes))
    expect(byteLoop(bytes)).toBe(s)
  }
  const random = seeded('utf8')
  const malformed = [
    [0xc0, 0x80], // overlong
    [0xed, 0xa0, 0x80], // a surrogate, UTF-8 encoded
    [0xe2, 0x82], // truncated
    [0xf5, 0x80, 0x80, 0x80], // beyond U+10FFFF
    [0x61, 0x80, 0x62], // a lone continuation byte
    [0xf4, 0x90, 0x80, 0x80], // U+110000
  ].map((b) => Uint8Array.from(b))
  for (let k = 0; k < 40; k++) malformed.push(random(1 + (k % 13) * 7))
  for (const bytes of malformed) {
    const guest = guestDecode(bytes)
    let expected: { text: string } | { error: RegExp }
    try {
      expected = { text: byteLoop(bytes) }
    } catch {
      expected = { error: /invalid code point/ }
    }
    if ('text' in expected) expect(guest.text, Buffer.from(bytes).toString('hex')).toBe(expected.text)
    else expect(guest.error, Buffer.from(bytes).toString('hex')).toMatch(expected.error)
  }
})

test('an ASCII input costs little fuel per byte (an event payload is ≈ 700 bytes)', () => {
  // Input starting with 0x01: the fixture answers only the length, so the fuel is the decoding's.
  const none = guestDecode(Uint8Array.of(1)).fuel
  const ascii = guestDecode(new TextEncoder().encode(`\u0001${'a'.repeat(10_000)}`)).fuel
  const perByte = Number(ascii - none) / 10_000
  console.log(`TextDecoder in the guest: ${perByte.toFixed(2)} fuel per ASCII byte (the byte loop took ≈ 120)`)
  expect(perByte).toBeLessThan(30)
})
