// `nexus keygen --dkg --nats <url> …`: threshold keys with no dealer, made by the replica hosts
// themselves over NATS (docs/cluster.md, "Keys without a dealer"). One coordinator announces the
// ceremony and ends its phases; on each replica host a participant deals, checks and keeps its own
// share, writing its key file there and nowhere else. Everyone computes the same verdict from the
// ceremony's stream; the coordinator writes the public network.json.
import { randomBytes } from 'node:crypto'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Hex } from 'viem'
import type { NatsCredentials } from '@nexus/gateway/jetstream'
import { type DkgFault, MAX_REPLICAS } from '@nexus/protocol/attest'
import { openDkgChannel } from '../dkg/channel.ts'
import { runDkgCoordinator } from '../dkg/coordinator.ts'
import { DkgCeremonyError } from '../dkg/errors.ts'
import { dkgSubjects } from '../dkg/subjects.ts'
import { runDkgParticipant } from '../dkg/participant.ts'
import { type CredentialsOwner, readCredentials } from './credentials-file.ts'
import { keygenFailure, writeKeyFiles } from './key-files.ts'

const usage = `usage:
  coordinator (any host; sees only public messages, writes network.json, prints the ceremony id):
    nexus keygen --dkg --nats <url> --t <t> --n <n> --out <dir> [--ceremony <id>]
                 [--join-timeout <s>] [--phase-timeout <s>] [--chain-id <id>] [--verifier <0x…>]
                 [--prefix nexus] [--replicas 1] [--credentials <gateway-<k>.json>] [--force]
  participant (on replica host <i>; writes replica-<i>.key.json, which never leaves that host):
    nexus keygen --dkg --nats <url> --ceremony <id> --index <i> --out <dir>
                 [--t <t>] [--n <n>] [--timeout <s>] [--prefix nexus] [--credentials <replica-<i>.json>] [--force]

  --ceremony       coordinator: default a random id; participants: the id the coordinator printed
  --join-timeout   how long registration stays open (default 600 s)
  --phase-timeout  how long each later phase may take (default 30 s); who is silent is disqualified
  --timeout        when a participant gives up (default 900 s)
  --prefix         the NATS subject prefix (<prefix>.dkg.<ceremony>.…, stream <PREFIX>_DKG)
  --replicas       copies of the DKG stream (3 on a 3-node JetStream cluster)
  --credentials    the NATS user to log in as on a cluster with roles (nexus cluster up writes them to
                   .nexus-cluster/credentials/): a gateway's coordinates, replica-<i>'s is participant i's`

const options = {
  dkg: { type: 'boolean', default: false },
  nats: { type: 'string' },
  prefix: { type: 'string', default: 'nexus' },
  ceremony: { type: 'string' },
  index: { type: 'string' },
  t: { type: 'string' },
  n: { type: 'string' },
  out: { type: 'string' },
  'join-timeout': { type: 'string', default: '600' },
  'phase-timeout': { type: 'string', default: '30' },
  timeout: { type: 'string', default: '900' },
  'chain-id': { type: 'string' },
  verifier: { type: 'string' },
  replicas: { type: 'string', default: '1' },
  credentials: { type: 'string' },
  // Accepted only to be refused with a reason (a seeded network DKG would be a dealer with extra steps).
  seed: { type: 'string' },
  force: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof options; strict: true }>>['values']

class UsageError extends Error {}

function count(value: string | undefined, flag: string, max = MAX_REPLICAS): number | undefined {
  if (value === undefined) return undefined
  if (!/^[1-9][0-9]*$/.test(value) || Number(value) > max) throw new UsageError(`--${flag} expects a whole number in 1..${max}, got "${value}"`)
  return Number(value)
}

function seconds(value: string, flag: string): number {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(value) || Number(value) <= 0) throw new UsageError(`--${flag} expects seconds, got "${value}"`)
  return Math.round(Number(value) * 1000)
}

const log = (line: string) => console.log(line)

/** `--credentials`, read before connecting; a bad file is refused without showing its seed. */
async function login(path: string | undefined, owner: CredentialsOwner): Promise<NatsCredentials | undefined> {
  if (path === undefined) return undefined
  return readCredentials(path, owner, (message) => {
    throw new DkgCeremonyError(message)
  })
}

export type JoinCeremonyParameters = {
  servers: string
  prefix: string
  ceremony: string
  index: number
  out: string
  expect?: { t?: number; n?: number }
  timeoutMs: number
  force?: boolean
  /** The NATS user `replica-<index>` (a cluster with roles); none on an open server. */
  credentials?: NatsCredentials
  /** Library fault injection for tests; no flag reaches it. */
  fault?: DkgFault
}

/** A participant: joins the ceremony, keeps its share, writes replica-<index>.key.json and network.json into `out`. */
export async function joinCeremony(p: JoinCeremonyParameters): Promise<void> {
  if (!p.force) await refuseExisting(p.out, [`replica-${p.index}.key.json`, 'network.json'])
  const channel = await openDkgChannel({
    servers: p.servers,
    prefix: p.prefix,
    ceremony: p.ceremony,
    name: `nexus dkg ${p.ceremony} participant ${p.index}`,
    waitMs: p.timeoutMs,
    credentials: p.credentials,
  })
  log(`connected to NATS; following ceremony ${p.ceremony} as participant ${p.index}`)
  try {
    const result = await runDkgParticipant({ channel, ceremony: p.ceremony, index: p.index, expect: p.expect, timeoutMs: p.timeoutMs, fault: p.fault, log })
    for (const d of result.disqualified) log(`dealer ${d.index} disqualified: ${d.reason}`)
    const dir = await writeKeyFiles(p.out, result.network, [result.share], { force: p.force })
    log(`share ${p.index} of ${result.network.t}-of-${result.network.n} written to ${join(dir, `replica-${p.index}.key.json`)}`)
    log(`group public key ${result.network.groupPublicKey}`)
  } finally {
    await channel.close()
  }
}

/** Fail before the ceremony rather than after it: a participant's share cannot be made again. */
async function refuseExisting(out: string, names: string[]): Promise<void> {
  for (const name of names) {
    const path = join(out, name)
    const exists = await access(path).then(
      () => true,
      () => false,
    )
    if (exists) throw Object.assign(new Error(`${path} exists`), { code: 'EEXIST', path })
  }
}

async function coordinate(values: Values, servers: string): Promise<void> {
  const t = count(values.t, 't')
  const n = count(values.n, 'n')
  if (t === undefined || n === undefined || !values.out) throw new UsageError('the coordinator needs --t, --n and --out')
  if (t > n) throw new UsageError(`--t must be at most --n (${n})`)
  if (values['chain-id'] !== undefined && !/^(0|[1-9][0-9]{0,77})$/.test(values['chain-id'])) throw new UsageError('--chain-id expects a decimal chain id')
  if (values.verifier !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(values.verifier)) throw new UsageError('--verifier expects a 20-byte hex address')
  const joinTimeoutMs = seconds(values['join-timeout'], 'join-timeout')
  const phaseTimeoutMs = seconds(values['phase-timeout'], 'phase-timeout')
  const replicas = count(values.replicas, 'replicas', 5)!
  if (!values.force) await refuseExisting(values.out, ['network.json'])
  const credentials = await login(values.credentials, { role: 'gateway' })
  const ceremony = values.ceremony ?? randomBytes(12).toString('hex')
  const channel = await openDkgChannel({
    servers,
    prefix: values.prefix,
    ceremony,
    name: `nexus dkg ${ceremony} coordinator`,
    create: { replicas },
    credentials,
  })
  log(`ceremony ${ceremony}: on each replica host <i> in 1..${n} run`)
  const asReplica = credentials ? ' --credentials <replica-<i>.json>' : ''
  log(`  nexus keygen --dkg --nats ${servers} --prefix ${values.prefix} --ceremony ${ceremony} --index <i> --out <dir>${asReplica}`)
  try {
    const result = await runDkgCoordinator({
      channel,
      ceremony,
      t,
      n,
      chainId: values['chain-id'],
      verifier: values.verifier as Hex | undefined,
      joinTimeoutMs,
      phaseTimeoutMs,
      log,
    })
    const dir = await writeKeyFiles(values.out, result.network, [], { force: values.force })
    log(`registered ${result.registered.join(', ') || 'none'}; qualified dealers ${result.qualified.join(', ')}`)
    log(`confirmed by ${result.confirmed.join(', ') || 'none'}${result.disagreeing.length ? `; DISAGREEING: ${result.disagreeing.join(', ')}` : ''}`)
    log(`dkg ${t}-of-${n} network written to ${join(dir, 'network.json')}`)
    log(`group public key ${result.network.groupPublicKey}`)
    if (result.disagreeing.length) throw new DkgCeremonyError(`participants ${result.disagreeing.join(', ')} reported another group key`)
  } finally {
    await channel.close()
  }
}

export async function run(argv: string[]): Promise<number> {
  try {
    const { values } = parseArgs({ args: argv, options, strict: true })
    if (values.help) {
      console.log(usage)
      return 0
    }
    if (!values.dkg) throw new UsageError('--nats runs the DKG: add --dkg (a dealer needs no network)')
    if (!values.nats) throw new UsageError('--nats expects a NATS server URL')
    if (values.seed !== undefined) throw new UsageError("--seed makes keys anyone with the seed can recompute: a DKG over NATS draws from each host's CSPRNG")
    try {
      dkgSubjects(values.prefix, values.ceremony ?? 'any')
    } catch (err) {
      throw new UsageError((err as Error).message)
    }
    if (values.index === undefined) {
      await coordinate(values, values.nats)
      return 0
    }
    if (!values.ceremony || !values.out) throw new UsageError('a participant needs --ceremony and --out')
    const index = count(values.index, 'index')!
    await joinCeremony({
      servers: values.nats,
      prefix: values.prefix,
      ceremony: values.ceremony,
      index,
      out: values.out,
      expect: { t: count(values.t, 't'), n: count(values.n, 'n') },
      timeoutMs: seconds(values.timeout, 'timeout'),
      force: values.force,
      credentials: await login(values.credentials, { role: 'replica', index }),
    })
    return 0
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: unknown }).code?.toString().startsWith('ERR_PARSE_ARGS')) {
      console.error(`nexus keygen: ${(err as Error).message}\n${usage}`)
      return 2
    }
    console.error(`nexus keygen: ${keygenFailure(err, { full: true })}`)
    return 1
  }
}
