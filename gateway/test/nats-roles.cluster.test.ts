// Authenticated roles on a real nats-server (issue 19): one JetStream server loads the
// authorization block `renderAuthorization` generates for 1 gateway and 2 replicas. Every refusal
// is asserted as the server's own verdict (an authorization or permissions violation naming the
// subject), and beside each refusal the same kind of action by the role that may do it succeeds,
// so the test fails whether the permissions are too tight or too loose.
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream'
import { createUser } from '@nats-io/nkeys'
import { AuthorizationError, connect, type NatsConnection, PermissionViolationError } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  createClusterAuth,
  createJetStreamLog,
  type JetStreamLog,
  type NatsCredentials,
  natsLogin,
  renderAuthorization,
  replicaConsumer,
  subjectsFor,
} from '../src/log/jetstream/index.ts'
import { type Cluster, startCluster } from '@nexus/testkit/nats-cluster'

const H = `0x${'c4'.repeat(32)}` as const
const prefix = 'roles'
const subjects = subjectsFor(prefix)
const auth = createClusterAuth({ gateways: 1, replicas: 2 })
const creds = (name: string): NatsCredentials => auth.credentials.find((c) => c.name === name)!
let cluster: Cluster
let gateway: JetStreamLog
const opened: NatsConnection[] = []

const login = async (credentials: NatsCredentials) => {
  const nc = await connect({ servers: cluster.urls, ...natsLogin(credentials) })
  opened.push(nc)
  return nc
}

/** The rejection of `action`, asserted to be the server refusing a publish to `subject`. */
async function refused(action: Promise<unknown>, subject: string): Promise<void> {
  const err = await action.then(
    () => undefined,
    (e: unknown) => e,
  )
  const violation = err instanceof PermissionViolationError ? err : (err as { cause?: unknown } | undefined)?.cause
  expect(violation, `expected a permissions violation on ${subject}`).toBeInstanceOf(PermissionViolationError)
  expect((violation as PermissionViolationError).subject).toBe(subject)
}

/** A core (fire-and-forget) publish: the server's verdict arrives as a status event, or does not. */
async function publishVerdict(nc: NatsConnection, subject: string): Promise<PermissionViolationError | undefined> {
  let violation: PermissionViolationError | undefined
  const watching = (async () => {
    for await (const s of nc.status())
      if (s.type === 'error' && s.error instanceof PermissionViolationError && s.error.subject === subject) return (violation = s.error)
  })()
  nc.publish(subject, 'share')
  await nc.flush() // the server answers PING after it has judged the publish
  await Promise.race([watching, new Promise((r) => setTimeout(r, 200))])
  return violation
}

beforeAll(async () => {
  cluster = await startCluster(1, undefined, { config: renderAuthorization(auth.users, prefix), routed: false })
  gateway = await createJetStreamLog({ servers: cluster.urls, credentials: creds('gateway-1'), prefix })
}, 60_000)

afterAll(async () => {
  for (const nc of opened) await nc.close().catch(() => {})
  await gateway?.close()
  await cluster?.stop()
})

test('a gateway appends, stores artifacts and records results', async () => {
  expect(await gateway.log.putArtifact(H, { name: 'f' }, 'AA==')).toBe(true)
  await gateway.log.deployFunction('f', H)
  const { invocation } = await gateway.log.append({ functionId: 'f', input: '0x01', trigger: 'http', requestHash: 'r1' })
  expect(invocation.seq).toBe(1n)
  const result = { digest: `0x${'11'.repeat(32)}` } as never
  await gateway.log.recordResult(invocation.id, result, [])
  expect(await gateway.log.getInvocation(invocation.id)).toMatchObject({ state: 'attested', result })
  expect(await gateway.log.getArtifact(H)).toMatchObject({ component: 'AA==' })
})

describe('an outsider with network access', () => {
  const attempt = (options: Parameters<typeof connect>[0]) =>
    connect({ servers: cluster.urls, maxReconnectAttempts: 0, ...options }).then(
      async (nc) => (await nc.close(), 'connected'),
      (e: unknown) => e,
    )

  test('cannot connect without credentials, with a guessed password, or with a key of its own', async () => {
    expect(await attempt({})).toBeInstanceOf(AuthorizationError)
    expect(await attempt({ user: 'gateway-1', pass: 'guess' })).toBeInstanceOf(AuthorizationError)
    const stranger = { name: 'gateway-1', seed: new TextDecoder().decode(createUser().getSeed()) }
    expect(await attempt(natsLogin(stranger))).toBeInstanceOf(AuthorizationError)
    expect(await attempt(natsLogin(creds('gateway-1')))).toBe('connected') // the same door opens to its key
  })
})

describe('a replica', () => {
  test("the log refuses it at once (a refusal is not retried like a lost server): it cannot append through the gateway's log", async () => {
    const nc = await login(creds('replica-1'))
    const asReplica = createJetStreamLog({ nc, prefix }).then((opened) =>
      opened.log.append({ functionId: 'f', input: '0x02', trigger: 'http', requestHash: 'r2' }),
    )
    await expect(asReplica).rejects.toThrow(/permissions violation/i)
  }, 15_000)

  test('cannot append an invocation, write an index or state record, or put an artifact', async () => {
    const js = jetstream(await login(creds('replica-1')))
    await refused(js.publish(subjects.log('f'), '{}'), subjects.log('f'))
    await refused(js.publish(subjects.invocation('f', 2n), '{}'), subjects.invocation('f', 2n))
    await refused(js.publish(subjects.state('f', 1n), '{}'), subjects.state('f', 1n))
    await refused(js.publish(subjects.artifactHead(H), '{}'), subjects.artifactHead(H))
    await refused(js.publish(subjects.artifactChunk(H, 'n', 0), 'AA=='), subjects.artifactChunk(H, 'n', 0))
    const jsm = await jetstreamManager(await login(creds('replica-1')))
    await refused(jsm.streams.delete(subjects.streams.log), `$JS.API.STREAM.DELETE.${subjects.streams.log}`)
  })

  test('reads the log: through the log interface and its own durable consumer, not another replica’s', async () => {
    const reader = await createJetStreamLog({ servers: cluster.urls, credentials: creds('replica-1'), prefix })
    try {
      expect((await reader.log.range('f', 0n, 10)).map((r) => r.requestHash)).toEqual(['r1'])
      expect(await reader.log.getArtifact(H)).toMatchObject({ component: 'AA==' })
    } finally {
      await reader.close()
    }
    const nc = await login(creds('replica-1'))
    const jsm = await jetstreamManager(nc)
    await jsm.consumers.add(subjects.streams.log, { durable_name: replicaConsumer(1), ack_policy: AckPolicy.Explicit })
    const next = await (await jetstream(nc).consumers.get(subjects.streams.log, replicaConsumer(1))).next({ expires: 5000 })
    expect(next?.subject).toBe(subjects.log('f'))
    expect(await next!.ackAck()).toBe(true)
    const other = `$JS.API.CONSUMER.CREATE.${subjects.streams.log}.${replicaConsumer(2)}`
    await refused(jsm.consumers.add(subjects.streams.log, { durable_name: replicaConsumer(2), ack_policy: AckPolicy.Explicit }), other)
  })

  test('publishes its own share; not one as another replica; cannot read shares', async () => {
    const received: string[] = []
    const sub = gateway.nc.subscribe(subjects.shareAll, { callback: (_e, m) => received.push(m.subject) })
    await gateway.nc.flush()
    const replica = await login(creds('replica-1'))
    expect(await publishVerdict(replica, subjects.share('f', 1n, 1))).toBeUndefined()
    expect((await publishVerdict(replica, subjects.share('f', 1n, 2)))?.operation).toBe('publish')
    const spy = replica.subscribe(subjects.shareAll)
    const closed = await Promise.race([spy.closed, new Promise((r) => setTimeout(() => r('still open'), 2000))])
    expect(closed).toBeInstanceOf(PermissionViolationError)
    await gateway.nc.flush()
    for (let t = 0; t < 20 && received.length === 0; t++) await new Promise((r) => setTimeout(r, 50))
    expect(received).toEqual([subjects.share('f', 1n, 1)]) // the gateway got the share, and only that one
    sub.unsubscribe()
  })
})

describe('a gateway', () => {
  test('cannot publish a share, use a replica’s consumer, or delete a stream', async () => {
    const nc = await login(creds('gateway-1'))
    expect((await publishVerdict(nc, subjects.share('f', 1n, 1)))?.operation).toBe('publish')
    const jsm = await jetstreamManager(nc)
    const log = subjects.streams.log
    await refused(jsm.consumers.info(log, replicaConsumer(1)), `$JS.API.CONSUMER.INFO.${log}.${replicaConsumer(1)}`)
    await refused(jsm.consumers.delete(log, replicaConsumer(1)), `$JS.API.CONSUMER.DELETE.${log}.${replicaConsumer(1)}`)
    await refused(jsm.streams.delete(log), `$JS.API.STREAM.DELETE.${log}`)
    await refused(jsm.streams.purge(log), `$JS.API.STREAM.PURGE.${log}`)
    // Its own consumers on the log are allowed (a gateway may read the log that way too).
    await jsm.consumers.add(log, { durable_name: 'gateway-1', ack_policy: AckPolicy.Explicit })
    expect((await jsm.consumers.info(log, 'gateway-1')).name).toBe('gateway-1')
  })
})

describe('a DKG ceremony (nexus keygen --dkg --nats)', () => {
  const dkg = subjects.dkg
  const replicaSays = (i: number) => `${prefix}.dkg.c1.replica.${i}.hello`
  const coordinatorSays = `${prefix}.dkg.c1.coordinator.start`

  test('a gateway coordinates: creates the stream, announces; replica 1 speaks as participant 1 and reads the transcript', async () => {
    const gw = await login(creds('gateway-1'))
    await (await jetstreamManager(gw)).streams.add({ name: dkg.stream, subjects: [dkg.all] })
    expect((await jetstream(gw).publish(coordinatorSays, '{}')).stream).toBe(dkg.stream)
    const replica = await login(creds('replica-1'))
    expect((await jetstream(replica).publish(replicaSays(1), '{}')).stream).toBe(dkg.stream)
    // The ceremony's reader: an ordered consumer (a generated name) from the first message.
    const reader = await jetstream(replica).consumers.get(dkg.stream, { filter_subjects: `${prefix}.dkg.c1.>` })
    const seen: string[] = []
    for (let k = 0; k < 2; k++) seen.push((await reader.next({ expires: 5000 }))!.subject)
    expect(seen).toEqual([coordinatorSays, replicaSays(1)])
  })

  test('no replica speaks for another replica or the coordinator; a gateway speaks for no replica', async () => {
    const replica = jetstream(await login(creds('replica-1')))
    await refused(replica.publish(replicaSays(2), '{}'), replicaSays(2))
    await refused(replica.publish(coordinatorSays, '{}'), coordinatorSays)
    const other = jetstream(await login(creds('replica-2')))
    await refused(other.publish(replicaSays(1), '{}'), replicaSays(1))
    expect((await other.publish(replicaSays(2), '{}')).stream).toBe(dkg.stream)
    await refused(jetstream(await login(creds('gateway-1'))).publish(replicaSays(1), '{}'), replicaSays(1))
    const jsm = await jetstreamManager(await login(creds('replica-1')))
    await refused(jsm.streams.delete(dkg.stream), `$JS.API.STREAM.DELETE.${dkg.stream}`)
  })

  test('an outsider publishes no DKG message: without a cluster user the server lets it in nowhere', async () => {
    const outsider = await connect({ servers: cluster.urls, maxReconnectAttempts: 0 }).then(
      () => 'connected',
      (e: unknown) => e,
    )
    expect(outsider).toBeInstanceOf(AuthorizationError)
  })
})
