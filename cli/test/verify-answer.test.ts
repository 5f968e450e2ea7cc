// `nexus verify` given what a user saves from curl: the whole gateway answer (invoke, an @onHttp
// route, /v1/results/<id>) rather than its `.result`. It verifies the attested result inside and
// says so; an answer with no result yet, or a page of results, is refused with what to do.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test, vi } from 'vitest'
import { writeSignedResult } from '@nexus/testkit/signed-result'
import { run as keygen } from '../src/commands/keygen.ts'
import { run as verify } from '../src/commands/verify.ts'

let dir: string
let result: Record<string, unknown>
let digest: string

async function capture(fn: () => Promise<number>) {
  const out: string[] = []
  const err: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')))
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')))
  try {
    return { code: await fn(), out: out.join('\n'), err: err.join('\n') }
  } finally {
    log.mockRestore()
    error.mockRestore()
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nexus-verify-answer-'))
  expect((await capture(() => keygen(['--t', '2', '--n', '3', '--out', dir, '--seed', 'verify-answer']))).code).toBe(0)
  digest = await writeSignedResult({ keysDir: dir, file: join(dir, 'result.json'), signers: [1, 3], functionId: 'hello' })
  result = JSON.parse(await readFile(join(dir, 'result.json'), 'utf8'))
}, 60_000)

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A gateway answer around `inner`, with the fields the gateway serves (gateway/src/server/serialize.ts). */
const answer = (inner: unknown, state = 'attested') => ({
  id: '7d0c3a52-5d7e-4a57-9b1a-3f7e1c2b9a10',
  functionId: 'hello',
  seq: '1',
  codeHash: '0x00',
  trigger: 'route',
  timestampMs: '0',
  state,
  status: inner ? 'ok' : null,
  ...(inner ? { output: 42 } : {}),
  result: inner,
  disagreements: [],
  logs: [],
  resultUrl: '/v1/results/7d0c3a52-5d7e-4a57-9b1a-3f7e1c2b9a10',
})

async function verifyFile(name: string, content: unknown, ...args: string[]) {
  const file = join(dir, name)
  await writeFile(file, JSON.stringify(content))
  return capture(() => verify([file, '--network', join(dir, 'network.json'), ...args]))
}

test('a whole gateway answer: its .result is verified, with a note saying so', async () => {
  const got = await verifyFile('answer.json', answer(result), '--function', 'hello')
  expect(got).toEqual({
    code: 0,
    out: `ok ${digest}`,
    err: 'note: this is a gateway answer; the attested result is its .result field — verifying that',
  })
  // The bare result still verifies, without the note.
  expect(await verifyFile('bare.json', result)).toEqual({ code: 0, out: `ok ${digest}`, err: '' })
})

test('what is inside the answer is what is checked: a tampered result or another function fails', async () => {
  const tampered = answer({ ...result, output: '0x2b' })
  const bad = await verifyFile('tampered.json', tampered)
  expect(bad.code).toBe(1)
  expect(bad.out).toMatch(/^invalid: .*\[NEXUS_ATTEST_OUTPUT_MISMATCH\]$/)
  const other = await verifyFile('other.json', answer(result), '--function', 'goodbye')
  expect(other.code).toBe(1)
  expect(other.out).toMatch(/^invalid: /)
})

test('an answer with no result yet, a disputed one and a page of results say what to do instead', async () => {
  const pending = await verifyFile('pending.json', { ...answer(null, 'pending'), pending: { reason: 'timeout', message: 'poll' } })
  expect(pending.code).toBe(1)
  expect(pending.out).toBe(
    'invalid: this gateway answer has no attested result yet (state: pending); fetch its resultUrl (GET /v1/results/7d0c3a52-5d7e-4a57-9b1a-3f7e1c2b9a10 on the gateway) until state is "attested", save that answer and verify it [NEXUS_VERIFY_NO_RESULT]',
  )
  const disputed = await verifyFile('disputed.json', answer(null, 'disputed'))
  expect(disputed.out).toMatch(/^invalid: .*disputed.*\[NEXUS_VERIFY_NO_RESULT\]$/)
  const page = await verifyFile('page.json', { items: [answer(result)], nextCursor: null })
  expect(page.code).toBe(1)
  expect(page.out).toMatch(/^invalid: this is a page of results .*\[NEXUS_VERIFY_NO_RESULT\]$/)
})
