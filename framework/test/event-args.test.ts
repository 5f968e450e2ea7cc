// An @onEvent handler built for real (bundle → componentize) on two real replicas (PGlite): the
// gateway's decoded args (protocol event-args.ts) reach the handler as viem's types, the same
// invocation gives the same digest on both, a payload without args (written before the gateway
// decoded) still runs through the guest's own decoder, and a log that did not decode fails clearly.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeEventLog, encodeAbiParameters, encodeEventTopics, zeroAddress, type Hex } from 'viem'
import { createReplica, type Replica } from '@nexus/runtime'
import { encodeTriggerPayload, eventPayloadArgs, Status, type EventPayload } from '@nexus/protocol'
import { buildProject, type BuiltProject } from '../src/build/index.ts'
import { richAbi } from './fixtures/event-args/nexus.config.ts'
import { typed } from './fixtures/event-args/typed.ts'

const config = fileURLToPath(new URL('./fixtures/event-args/nexus.config.ts', import.meta.url))
const dec = new TextDecoder()
let project: BuiltProject
const replicas: Replica[] = []

beforeAll(async () => {
  const out = await mkdtemp(join(tmpdir(), 'nexus-evargs-build-'))
  project = await buildProject(config, { out })
  for (const index of [1, 2]) {
    const replica = await createReplica({ index, cacheDir: join(out, `cache-${index}`), chainId: 31337n, verifier: zeroAddress, requireVersions: false })
    replicas.push(replica)
    for (const fn of project.functions) await replica.deploy({ component: fn.component!, manifest: fn.manifest! })
  }
}, 180_000)

afterAll(async () => {
  await Promise.allSettled(replicas.map((r) => r.close()))
})

const rich = richAbi[0]
const topics = encodeEventTopics({ abi: richAbi, eventName: 'Rich', args: { from: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', label: 'héllo' } }) as Hex[]
const data = encodeAbiParameters(
  rich.inputs.filter((i) => !i.indexed),
  [
    2 ** 47 + 5,
    -128,
    2n ** 255n + 3n,
    { id: 7, name: 'x"y', data: '0xC0FFEE' },
    [-(2n ** 127n), 0n, 2n ** 127n - 1n],
    '0xDEADBEEF',
    true,
    [
      ['0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc', 1],
      [zeroAddress, 65535],
    ],
  ],
)

const payload = (seq: number, fields: Partial<EventPayload>): EventPayload => ({
  kind: 'event',
  chainId: '31337',
  blockNumber: String(100 + seq),
  blockHash: `0x${seq.toString(16).padStart(64, '0')}`,
  logIndex: 0,
  transactionHash: `0x${'cd'.repeat(32)}`,
  transactionIndex: 0,
  address: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
  topics,
  data,
  ...fields,
})

async function run(replica: Replica, seq: number, p: EventPayload) {
  const fn = project.functions.find((f) => f.id === 'evargs-rich')!
  const r = await replica.execute({
    functionId: fn.id,
    codeHash: fn.manifest!.codeHash as Hex,
    seq: BigInt(seq),
    input: encodeTriggerPayload(p),
    trigger: 'event',
    timestampMs: 1_700_000_000_000n,
    chainId: 31337n,
    blockNumber: BigInt(p.blockNumber),
  })
  return { status: r.fields.status, output: dec.decode(r.output), digest: r.digest, fuel: r.fields.fuelUsed }
}

test('decoded by the gateway: the handler gets viem’s values and types, the same digest on two replicas', async () => {
  const decoded = payload(1, eventPayloadArgs(rich, topics, data))
  expect(decoded.args).toBeDefined()
  const [a, b] = [await run(replicas[0]!, 1, decoded), await run(replicas[1]!, 1, decoded)]
  expect(a.status).toBe(Status.ok)
  expect(b).toEqual(a)
  const viem = decodeEventLog({ abi: richAbi, topics: topics as [Hex, ...Hex[]], data, strict: true }).args
  const shown = (JSON.parse(a.output) as { args: string }).args
  expect(shown).toBe(typed(viem))
  expect(shown).toContain('small:140737488355333,') // a number (uint48), not 140737488355333n
  expect(shown).toContain('from:"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"') // checksummed by the gateway

  // A payload written before the gateway decoded: the guest decodes it itself, to the same values.
  const legacy = await run(replicas[0]!, 2, payload(2, {}))
  expect(legacy.status).toBe(Status.ok)
  expect(await run(replicas[1]!, 2, payload(2, {}))).toEqual(legacy)
  expect(legacy.output).toBe(a.output)
  console.log(`fuel for this event: ${a.fuel} with the gateway's args, ${legacy.fuel} decoding in the guest`)
  expect(a.fuel).toBeLessThan(legacy.fuel)
}, 120_000)

test('a log the gateway could not decode fails with its reason, alike on both replicas', async () => {
  const broken = payload(3, eventPayloadArgs(rich, topics, '0x01'))
  expect(broken).toHaveProperty('decodeError')
  const [a, b] = [await run(replicas[0]!, 3, broken), await run(replicas[1]!, 3, broken)]
  expect(a.status).not.toBe(Status.ok)
  expect(a.output).toContain('the log does not decode as Feed.Rich')
  expect(b).toEqual(a)
}, 120_000)
