// The guest prelude's TextDecoder and TextEncoder (QuickJS has neither): every handler's input and
// JSON result goes through them, so their cost is part of every invocation's fuel. Both call the host
// (nexus:function/text) and must give exactly what the Encoding Standard gives, ill-formed input
// included. Components built before the import keep their own interpreted loops and results.
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

function runGuest(input: Uint8Array) {
  const outcome = runner.run(info, input, defaultLimits, () => null)
  if (outcome.status !== Status.ok) throw new Error(`guest failed: ${new TextDecoder().decode(outcome.output)}`)
  return outcome
}

/** The guest's TextDecoder over `bytes`, as UTF-16 code units. */
function guestDecode(bytes: Uint8Array): string {
  const { output } = runGuest(bytes)
  return String.fromCharCode(...(JSON.parse(new TextDecoder().decode(output)) as number[]))
}

/** The guest's TextEncoder over `s` (any UTF-16, lone surrogates included). */
function guestEncode(s: string): Uint8Array {
  const units = Array.from({ length: s.length }, (_, i) => s.charCodeAt(i))
  return runGuest(Uint8Array.of(2, ...new TextEncoder().encode(JSON.stringify(units)))).output
}

/** What the Encoding Standard says (Node's own decoder), keeping a byte order mark as the guest's does. */
const whatwg = new TextDecoder('utf-8', { ignoreBOM: true })

/** Seeded bytes: SHA-256 of seed/counter. */
function seeded(seed: string) {
  let counter = 0
  return (n: number) => {
    const out: number[] = []
    while (out.length < n) out.push(...createHash('sha256').update(`${seed}/${counter++}`).digest())
    return Uint8Array.from(out.slice(0, n))
  }
}

test('the guest decodes UTF-8 as the Encoding Standard does, ill-formed bytes and a byte order mark included', () => {
  const enc = new TextEncoder()
  const valid = ['', 'plain ascii {"kind":"event"}', 'é€😀中\u0000\u007f\u0080\u07ff\u0800\uffff', '😀'.repeat(5000), 'x'.repeat(20_000), '\ufeffBOM first']
  for (const s of valid) expect(guestDecode(enc.encode(s)), s.slice(0, 20)).toBe(s)
  const random = seeded('utf8')
  const malformed = [
    [0xc0, 0x80], // overlong
    [0xed, 0xa0, 0x80], // a surrogate, UTF-8 encoded
    [0xe2, 0x82], // truncated
    [0xf5, 0x80, 0x80, 0x80], // beyond U+10FFFF
    [0x61, 0x80, 0x62], // a lone continuation byte
    [0xf4, 0x90, 0x80, 0x80], // U+110000
    [0xef, 0xbb, 0xbf], // only a byte order mark
  ].map((b) => Uint8Array.from(b))
  for (let k = 0; k < 40; k++) malformed.push(random(2 + (k % 13) * 7).map((b, i) => (i === 0 && b < 4 ? b + 4 : b)))
  for (const bytes of malformed) expect(guestDecode(bytes), Buffer.from(bytes).toString('hex')).toBe(whatwg.decode(bytes))
})

test('the guest encodes as the Encoding Standard does: a lone surrogate becomes U+FFFD', () => {
  const cases = ['', 'abc', 'héllo wörld €', '😀 x', 'a\ud800b', '\udc00', 'x\ud83d', '\ud83d\ude00\ud83d', '\u0000'.repeat(3)]
  const random = seeded('utf16')
  // Random code units, surrogates over-represented so that lone and paired ones both occur.
  for (let k = 0; k < 30; k++) {
    const bytes = random(2 * (1 + k * 3))
    let s = ''
    for (let i = 0; i < bytes.length; i += 2)
      s += String.fromCharCode(bytes[i]! & 1 ? 0xd800 + ((bytes[i]! >> 1) % 8) * 0x100 + bytes[i + 1]! : (bytes[i]! << 8) | bytes[i + 1]!)
    cases.push(s)
  }
  for (const s of cases) expect(Buffer.from(guestEncode(s)).toString('hex'), JSON.stringify(s)).toBe(Buffer.from(new TextEncoder().encode(s)).toString('hex'))
})

test('UTF-8 both ways costs a few units of fuel per character at most (the interpreted loops took 18–120 a byte)', () => {
  const fuel = (input: Uint8Array) => runGuest(input).fuelUsed
  const decoded = Number(fuel(new TextEncoder().encode(`\u0001${'a'.repeat(10_000)}`)) - fuel(Uint8Array.of(1))) / 10_000
  const text = new TextEncoder().encode('é'.repeat(5_000))
  const encoded = Number(fuel(Uint8Array.of(3, ...text)) - fuel(Uint8Array.of(1, ...text))) / 5_000
  console.log(`guest UTF-8: decode ${decoded.toFixed(2)} fuel per ASCII byte; encode ${encoded.toFixed(2)} fuel per 2-byte character`)
  expect(decoded).toBeLessThan(2)
  expect(encoded).toBeLessThan(5)
})
