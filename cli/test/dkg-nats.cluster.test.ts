// Keys without a dealer (issue 19): `nexus keygen --dkg --nats` among 4 participant processes on a
// real NATS server, the coordinator run as the command's library function. The shares the
// participants write sign results that verify off-chain (verifyResult) and on-chain (NexusVerifier
// on anvil, Prague). A participant dealing a bad share is disqualified and the rest agree on one
// network; a participant that never shows up is disqualified when registration times out.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { type Address, type Hex, keccak256, toHex } from 'viem'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { createClients, deployNexus, g1ToEip2537, NexusVerifier, startAnvil, toContractResult, type Anvil, type Clients } from '@nexus/contracts'
import {
  type AttestedResult,
  combineShares,
  createAttestedResult,
  type DkgFault,
  type Network,
  parseNetwork,
  type ResultFields,
  resultDigest,
  type ShareKey,
  signShare,
  verifyResult,
} from '@nexus/protocol/attest'
import { openDkgChannel } from '../src/dkg/channel.ts'
import { dkgSubjects } from '../src/dkg/subjects.ts'
import { run as keygen } from '../src/commands/keygen.ts'

const NATS_URL = process.env.NATS_URL
if (!NATS_URL) console.warn('cli/test/dkg-nats.cluster.test.ts skipped: NATS_URL is not set (CI sets it; locally e.g. NATS_URL=nats://127.0.0.1:4222)')

const cli = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const prefix = `dkgtest${randomBytes(4).toString('hex')}`
let dir: string

type Participant = { index: number; out: string; child: ChildProcess; output: () => string; exit: Promise<number | null> }

/** One participant process: the real `nexus keygen` bin, or the fixture with a library fault. */
function participant(ceremony: string, index: number, fault?: DkgFault): Participant {
  const out = join(dir, ceremony, `replica-host-${index}`)
  const args = fault
    ? [
        '--import',
        'tsx',
        join(cli, 'test/fixtures/dkg-faulty-participant.ts'),
        JSON.stringify({ servers: NATS_URL, prefix, ceremony, index, out, timeoutMs: 60_000, fault }),
      ]
    : [
        join(cli, 'bin/nexus.js'),
        'keygen',
        '--dkg',
        '--nats',
        NATS_URL!,
        '--prefix',
        prefix,
        '--ceremony',
        ceremony,
        '--index',
        String(index),
        '--out',
        out,
        '--timeout',
        '60',
      ]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  child.stdout!.on('data', (d: Buffer) => void (text += d.toString()))
  child.stderr!.on('data', (d: Buffer) => void (text += d.toString()))
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)))
  return { index, out, child, output: () => text, exit }
}

/** Resolves once the participant follows the ceremony (connected, stream found). */
async function following(p: Participant): Promise<void> {
  for (let waited = 0; !p.output().includes('following ceremony'); waited += 100) {
    if (p.child.exitCode !== null || waited > 60_000) throw new Error(`participant ${p.index} did not start:\n${p.output()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Runs the coordinator (the command itself, in this process) and returns its exit code and output. */
async function coordinate(ceremony: string, flags: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void lines.push(a.join(' ')))
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void lines.push(a.join(' ')))
  try {
    const out = join(dir, ceremony, 'coordinator')
    const code = await keygen(['--dkg', '--nats', NATS_URL!, '--prefix', prefix, '--ceremony', ceremony, '--out', out, '--t', '3', '--n', '4', ...flags])
    return { code, out: lines.join('\n') }
  } finally {
    log.mockRestore()
    error.mockRestore()
  }
}

/** Runs one ceremony: participants first (each following it), then the coordinator; all must exit. */
async function ceremony(name: string, participants: { index: number; fault?: DkgFault }[], flags: string[] = []) {
  const ps = participants.map((p) => participant(name, p.index, p.fault))
  try {
    await Promise.all(ps.map(following))
    const coordinator = await coordinate(name, flags)
    const codes = await Promise.all(ps.map((p) => p.exit))
    const outputs = ps.map((p) => p.output())
    expect(coordinator.code, coordinator.out).toBe(0)
    expect(codes, outputs.join('\n---\n')).toEqual(ps.map(() => 0))
    const network = parseNetwork(JSON.parse(await readFile(join(dir, name, 'coordinator', 'network.json'), 'utf8')))
    const shares: ShareKey[] = []
    for (const p of ps) {
      // Every participant computed the same network as the coordinator, byte for byte.
      expect(await readFile(join(p.out, 'network.json'), 'utf8')).toBe(await readFile(join(dir, name, 'coordinator', 'network.json'), 'utf8'))
      const key = JSON.parse(await readFile(join(p.out, `replica-${p.index}.key.json`), 'utf8'))
      expect(key.publicKey).toBe(network.sharePublicKeys[p.index - 1]!.publicKey)
      expect(key.groupPublicKey).toBe(network.groupPublicKey)
      shares.push({ index: key.index, secretKey: key.secretKey })
    }
    return { network, shares, coordinator: coordinator.out, outputs }
  } finally {
    for (const p of ps) if (p.child.exitCode === null) p.child.kill('SIGKILL')
  }
}

/** t shares sign one digest; the combined signature is the same whichever t sign. */
function signWith(network: Network, shares: ShareKey[], signers: number[], digest: Hex): Hex {
  const partials = shares.filter((s) => signers.includes(s.index)).map((s) => signShare(digest, s))
  return combineShares(digest, partials, network).signature
}

/** A result of function `dkg` for `output` (made-up roots and fuel), bound to `verifier` on anvil's chain. */
function resultFields(verifier: Address, output: Hex, seq: bigint): ResultFields {
  const root = (k: bigint) => keccak256(toHex(`state ${k}`))
  return {
    chainId: 31337n,
    verifier,
    codeHash: keccak256(toHex('dkg test component')),
    seq,
    inputHash: keccak256(toHex(`input ${seq}`)),
    status: 0,
    outputHash: keccak256(output),
    stateRootBefore: root(seq - 1n),
    stateRootAfter: root(seq),
    fuelUsed: 1000n + seq,
  }
}

function attest(network: Network, shares: ShareKey[], fields: ResultFields, output: Hex, signers: number[]): AttestedResult {
  const digest = resultDigest(fields)
  return createAttestedResult({ fields, output, signature: signWith(network, shares, signers, digest), signers, groupPublicKey: network.groupPublicKey })
}

describe.skipIf(!NATS_URL)('nexus keygen --dkg over NATS', () => {
  let anvil: Anvil
  let clients: Clients

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nexus-dkg-nats-'))
    // The coordinator creates the stream; create it up front so participants can start first.
    const channel = await openDkgChannel({ servers: NATS_URL!, prefix, ceremony: 'setup', name: 'dkg test setup', create: { replicas: 1 } })
    await channel.close()
    anvil = await startAnvil()
    clients = createClients(anvil.rpcUrl)
  }, 60_000)

  afterAll(async () => {
    await anvil?.stop()
    const nc = await connect({ servers: NATS_URL! })
    await (await jetstreamManager(nc)).streams.delete(dkgSubjects(prefix, 'x').stream).catch(() => {})
    await nc.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  test('4 replica processes make a 3-of-4 key; results signed by 3 shares verify with verifyResult and on-chain', async () => {
    const { network, shares, coordinator } = await ceremony('honest', [{ index: 1 }, { index: 2 }, { index: 3 }, { index: 4 }])
    expect(coordinator).toContain('qualified dealers 1, 2, 3, 4')
    expect(coordinator).toContain('confirmed by 1, 2, 3, 4')
    expect(new Set(shares.map((s) => s.secretKey)).size).toBe(4)

    const { verifier } = await deployNexus(clients, { groupPublicKey: network.groupPublicKey })
    const output = toHex('dkg says hello')
    const fields = resultFields(verifier, output, 1n)
    const digest = resultDigest(fields)
    expect(signWith(network, shares, [2, 3, 4], digest)).toBe(signWith(network, shares, [1, 2, 3], digest))

    const result = attest(network, shares, fields, output, [1, 3, 4])
    expect(await verifyResult(result, network)).toEqual({ ok: true, digest })
    const read = (f: typeof fields) =>
      clients.public.readContract({
        address: verifier,
        abi: NexusVerifier.abi,
        functionName: 'verify',
        args: [toContractResult(f), g1ToEip2537(result.signature)],
      })
    expect(await read(fields)).toBe(digest)
    await expect(read({ ...fields, seq: 2n })).rejects.toThrow(/InvalidSignature/)
  })

  test('a participant dealing a bad share is disqualified; the others agree on one network that signs', async () => {
    const { network, shares, coordinator } = await ceremony('bad-share', [
      { index: 1 },
      { index: 2, fault: { index: 2, kind: 'bad-share', victims: [3] } },
      { index: 3 },
      { index: 4 },
    ])
    expect(coordinator).toContain('dealer 2 disqualified: published share for participant 3 does not match its commitments')
    expect(coordinator).toContain('qualified dealers 1, 3, 4')
    const output = toHex('still one key')
    const fields = resultFields('0x0000000000000000000000000000000000000001', output, 7n)
    // The disqualified dealer still holds a valid share of the qualified dealers' key.
    for (const signers of [
      [1, 3, 4],
      [1, 2, 3],
    ])
      expect((await verifyResult(attest(network, shares, fields, output, signers), network)).ok).toBe(true)
  })

  test('a participant that never shows up is disqualified when registration times out', async () => {
    const started = Date.now()
    const { network, shares, coordinator } = await ceremony('no-show', [{ index: 1 }, { index: 2 }, { index: 3 }], ['--join-timeout', '4'])
    expect(Date.now() - started).toBeGreaterThan(4000)
    expect(coordinator).toContain('phase hello: time is up')
    expect(coordinator).toContain('registered 1, 2, 3;')
    expect(coordinator).toContain('dealer 4 disqualified: did not deal')
    const output = toHex('three of four')
    const fields = resultFields('0x0000000000000000000000000000000000000001', output, 1n)
    expect((await verifyResult(attest(network, shares, fields, output, [1, 2, 3]), network)).ok).toBe(true)
  })
})
