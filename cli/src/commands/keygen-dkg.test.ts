// `nexus keygen --dkg --nats`'s answers before any ceremony: usage errors (exit 2), an unreachable
// server and an existing key file (exit 1), each said in one line. The ceremony itself:
// ../dkg/ceremony.test.ts (in memory) and cli/test/dkg-nats.cluster.test.ts (NATS, processes).
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test, vi } from 'vitest'
import { run } from './keygen.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nexus-keygen-dkg-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function keygen(...argv: string[]) {
  const lines: string[] = []
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void lines.push(a.join(' ')))
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void lines.push(a.join(' ')))
  try {
    return { code: await run(argv), first: lines.join('\n').split('\n')[0] }
  } finally {
    error.mockRestore()
    log.mockRestore()
  }
}

test.each([
  [['--nats', 'nats://h:4222', '--t', '2', '--n', '3', '--out', 'x'], 'nexus keygen: --nats runs the DKG: add --dkg (a dealer needs no network)'],
  [['--dkg', '--nats', 'nats://h:4222', '--t', '2', '--out', 'x'], 'nexus keygen: the coordinator needs --t, --n and --out'],
  [['--dkg', '--nats', 'nats://h:4222', '--index', '2', '--out', 'x'], 'nexus keygen: a participant needs --ceremony and --out'],
  [
    ['--dkg', '--nats', 'nats://h:4222', '--ceremony', 'a.b', '--index', '2', '--out', 'x'],
    `nexus keygen: ceremony id "a.b" must be 1..64 letters, digits, '-' or '_'`,
  ],
  [
    ['--dkg', '--nats', 'nats://h:4222', '--t', '2', '--n', '3', '--out', 'x', '--seed', 's'],
    "nexus keygen: --seed makes keys anyone with the seed can recompute: a DKG over NATS draws from each host's CSPRNG",
  ],
  [
    ['--dkg', '--nats', 'nats://h:4222', '--t', '2', '--n', '3', '--out', 'x', '--join-timeout', 'soon'],
    'nexus keygen: --join-timeout expects seconds, got "soon"',
  ],
  [['--dkg', '--nats', 'nats://h:4222', '--ceremony', 'c', '--index', '0', '--out', 'x'], 'nexus keygen: --index expects a whole number in 1..1024, got "0"'],
])('usage error: %j', async (argv, message) => {
  expect(await keygen(...argv)).toEqual({ code: 2, first: message })
})

test('an unreachable server, and a key file already there, fail before any ceremony', async () => {
  expect(await keygen('--dkg', '--nats', 'nats://127.0.0.1:1', '--t', '2', '--n', '3', '--out', dir)).toEqual({
    code: 1,
    first: 'nexus keygen: cannot connect to NATS at nats://127.0.0.1:1',
  })
  await writeFile(join(dir, 'replica-2.key.json'), '{}')
  expect(await keygen('--dkg', '--nats', 'nats://127.0.0.1:1', '--ceremony', 'c', '--index', '2', '--out', dir)).toEqual({
    code: 1,
    first: `nexus keygen: ${join(dir, 'replica-2.key.json')} exists (use --force to overwrite)`,
  })
})
