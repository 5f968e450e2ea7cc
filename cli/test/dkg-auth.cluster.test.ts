// Keys without a dealer on a cluster with roles (issue 19): one nats-server loads the authorization
// `nexus cluster up` would (renderAuthorization), and `nexus keygen --dkg --nats --credentials` runs
// the ceremony as the cluster's users: the coordinator (in this process) as gateway-1, 4 participant
// processes as replica-1..4, each allowed to speak only as itself (gateway roles.ts). Their shares
// sign results that combine and verify. Without credentials the server refuses the keygen.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { keccak256, toHex } from 'viem'
import { afterAll, beforeAll, expect, test, vi } from 'vitest'
import { createClusterAuth, renderAuthorization } from '@nexus/gateway/jetstream'
import { combineShares, createAttestedResult, parseNetwork, type ResultFields, resultDigest, signShare, verifyResult } from '@nexus/protocol/attest'
import { type Cluster, startCluster } from '@nexus/testkit/nats-cluster'
import { run as keygen } from '../src/commands/keygen.ts'

const cli = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const prefix = 'dkgauth'
const auth = createClusterAuth({ gateways: 1, replicas: 4 })
const seeds = auth.credentials.map((c) => c.seed)
let cluster: Cluster
let dir: string

const credentialsFile = (name: string) => join(dir, 'credentials', `${name}.json`)

/** `nexus keygen` as a process (the real bin), its output and exit code. */
function nexusKeygen(args: string[]): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [join(cli, 'bin/nexus.js'), 'keygen', '--dkg', '--nats', cluster.urls[0]!, '--prefix', prefix, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let text = ''
  child.stdout!.on('data', (d: Buffer) => void (text += d.toString()))
  child.stderr!.on('data', (d: Buffer) => void (text += d.toString()))
  return { child, output: () => text, exit: new Promise((done) => child.on('exit', (code) => done(code))) }
}

/** The coordinator: the command itself, in this process. */
async function coordinate(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void lines.push(a.join(' ')))
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void lines.push(a.join(' ')))
  try {
    const code = await keygen(['--dkg', '--nats', cluster.urls[0]!, '--prefix', prefix, '--t', '3', '--n', '4', ...args])
    return { code, out: lines.join('\n') }
  } finally {
    log.mockRestore()
    error.mockRestore()
  }
}

const noSeedIn = (text: string) => {
  for (const seed of seeds) expect(text).not.toContain(seed)
}

beforeAll(async () => {
  cluster = await startCluster(1, '/usr/sbin/nats-server', { config: renderAuthorization(auth.users, prefix), routed: false })
  dir = await mkdtemp(join(tmpdir(), 'nexus-dkg-auth-'))
  await mkdir(join(dir, 'credentials'), { mode: 0o700 })
  for (const c of auth.credentials) await writeFile(credentialsFile(c.name), JSON.stringify(c), { mode: 0o600 })
}, 60_000)

afterAll(async () => {
  await cluster?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

test('gateway-1 coordinates, replica-1..4 take part: one network whose shares sign results that verify', async () => {
  const ceremony = 'roles'
  const participants = [1, 2, 3, 4].map((i) =>
    nexusKeygen([
      '--ceremony',
      ceremony,
      '--index',
      String(i),
      '--out',
      join(dir, `replica-host-${i}`),
      '--timeout',
      '60',
      '--credentials',
      credentialsFile(`replica-${i}`),
    ]),
  )
  try {
    const coordinator = await coordinate([
      '--ceremony',
      ceremony,
      '--out',
      join(dir, 'coordinator'),
      '--join-timeout',
      '60',
      '--credentials',
      credentialsFile('gateway-1'),
    ])
    const codes = await Promise.all(participants.map((p) => p.exit))
    const outputs = participants.map((p) => p.output())
    expect(coordinator.code, coordinator.out).toBe(0)
    expect(codes, outputs.join('\n---\n')).toEqual([0, 0, 0, 0])
    expect(coordinator.out).toContain('confirmed by 1, 2, 3, 4')
    for (const text of [coordinator.out, ...outputs]) noSeedIn(text)

    const networkJson = await readFile(join(dir, 'coordinator', 'network.json'), 'utf8')
    const network = parseNetwork(JSON.parse(networkJson))
    const shares = []
    for (const i of [1, 2, 3, 4]) {
      const out = join(dir, `replica-host-${i}`)
      expect(await readFile(join(out, 'network.json'), 'utf8')).toBe(networkJson) // the same group key, byte for byte
      const key = JSON.parse(await readFile(join(out, `replica-${i}.key.json`), 'utf8'))
      expect(key.groupPublicKey).toBe(network.groupPublicKey)
      shares.push({ index: key.index as number, secretKey: key.secretKey })
    }

    const output = toHex('signed by a dealerless key')
    const fields: ResultFields = {
      chainId: 31337n,
      verifier: '0x0000000000000000000000000000000000000001',
      codeHash: keccak256(toHex('dkg auth test component')),
      seq: 1n,
      inputHash: keccak256(toHex('input')),
      status: 0,
      outputHash: keccak256(output),
      stateRootBefore: keccak256(toHex('state 0')),
      stateRootAfter: keccak256(toHex('state 1')),
      fuelUsed: 1000n,
    }
    const digest = resultDigest(fields)
    for (const signers of [
      [1, 2, 3],
      [2, 3, 4],
    ]) {
      const partials = shares.filter((s) => signers.includes(s.index)).map((s) => signShare(digest, s))
      const { signature } = combineShares(digest, partials, network)
      const result = createAttestedResult({ fields, output, signature, signers, groupPublicKey: network.groupPublicKey })
      expect(await verifyResult(result, network)).toEqual({ ok: true, digest })
    }
  } finally {
    for (const p of participants) if (p.child.exitCode === null) p.child.kill('SIGKILL')
  }
}, 120_000)

test('without credentials the server refuses the keygen; a replica user cannot coordinate', async () => {
  const participant = nexusKeygen(['--ceremony', 'anon', '--index', '1', '--out', join(dir, 'anon-1'), '--timeout', '5'])
  expect(await participant.exit, participant.output()).toBe(1)
  expect(participant.output()).toContain('refused a connection without credentials: give --credentials <file>')

  const coordinator = await coordinate(['--ceremony', 'anon', '--out', join(dir, 'anon-coordinator')])
  expect(coordinator.code).toBe(1)
  expect(coordinator.out).toContain('refused a connection without credentials')

  const asReplica = await coordinate(['--ceremony', 'anon', '--out', join(dir, 'anon-coordinator'), '--credentials', credentialsFile('replica-1')])
  expect(asReplica.code).toBe(1)
  expect(asReplica.out).toContain("is replica-1's, not a gateway's")
  const missing = await coordinate(['--ceremony', 'anon', '--out', join(dir, 'anon-coordinator'), '--credentials', join(dir, 'nope.json')])
  expect(missing.code).toBe(1)
  expect(missing.out).toMatch(/cannot read the credentials file .*nope\.json \(ENOENT\)/)
  for (const text of [participant.output(), coordinator.out, asReplica.out]) noSeedIn(text)
}, 60_000)
