// `nexus replica --nats`: bad flags and bad credentials files are refused before anything starts,
// with messages that say what to fix and never show the seed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClusterAuth } from '@nexus/gateway/jetstream'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { run } from '../src/commands/replica.ts'
import { parseServers, ReplicaClusterFlagsError } from '../src/commands/replica-nats.ts'

let dir: string
const [credentials] = createClusterAuth({ gateways: 0, replicas: 2 }).credentials
const base = (extra: string[]) => ['--index', '1', '--nats', 'nats://127.0.0.1:4222', '--key', join(dir, 'key.json'), ...extra]

/** The command's refusal: a ReplicaClusterFlagsError whose message matches, and never holds the seed. */
async function refused(argv: string[], message: RegExp): Promise<void> {
  const err = await run(argv).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ReplicaClusterFlagsError)
  expect((err as Error).message).toMatch(message)
  expect((err as Error).message).not.toContain(credentials!.seed)
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nexus-replica-flags-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

test('servers: a comma-separated list of nats:// or host:port addresses', () => {
  expect(parseServers('nats://a:4222, b:4223')).toEqual(['nats://a:4222', 'b:4223'])
  expect(() => parseServers('')).toThrow(/--nats expects/)
  expect(() => parseServers('http://a:1')).toThrow(/not a server address/)
})

test('bad flags are refused with what to fix', async () => {
  await refused(['--index', '1', '--nats', 'nats://127.0.0.1:4222'], /--key <share key file> is required/)
  await refused(base(['--prefix', 'a.b']), /--prefix/)
  await refused(base(['--gateway-key-file', join(dir, 'gw')]), /no use with --nats/)
  await refused(base(['--credentials', join(dir, 'missing.json')]), /cannot read the credentials file .*missing\.json \(ENOENT\)/)
})

test('a malformed or foreign credentials file is refused without showing its seed', async () => {
  const file = (name: string, text: string) => writeFile(join(dir, name), text, { mode: 0o600 }).then(() => join(dir, name))
  await refused(base(['--credentials', await file('broken.json', `{ "seed": "${credentials!.seed}"`)]), /is not JSON/)
  await refused(base(['--credentials', await file('noname.json', JSON.stringify({ seed: credentials!.seed }))]), /must hold/)
  await refused(base(['--credentials', await file('badseed.json', JSON.stringify({ name: 'replica-1', seed: 'hunter2' }))]), /must hold/)
  // replica-1's file given to replica 2.
  await refused(['--index', '2', ...base(['--credentials', await file('other.json', JSON.stringify(credentials))]).slice(2)], /replica-1's, not replica-2's/)
})
