// Test fixture: replicas that pull the log, as cluster mode's replicas do, kept tiny (the real
// replica node is runtime/src/replica's). Each is an in-process `createReplica` driven by a loop
// that reads every function's next invocations from the log (through a reader log of its own),
// installs code and versions from the log, applies them in seq order and publishes each result
// with `createSharePublisher`, logged in as its own replica user (which may publish only its shares).
import { jetstream } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import type { Hex } from 'viem'
import { createReplica, type ExecuteRequest, type Replica } from '@nexus/runtime'
import type { Network } from '@nexus/protocol/attest'
import type { Log } from '../src/log/index.ts'
import { createSharePublisher, type NatsCredentials, natsLogin, type SharePublisher, subjectsFor } from '../src/log/jetstream/index.ts'
import { requestOf } from '../src/scheduler/lane.ts'

export type PullingReplicas = {
  replicas: Replica[]
  /** Stop applying (heartbeats go on): invocations stay pending until `resume()`. */
  pause(): void
  resume(): void
  close(): Promise<void>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function startPullingReplicas(p: {
  servers: string[]
  credentials: NatsCredentials[]
  prefix: string
  /** The log as a replica reads it. */
  log: Log
  network: Network
  shares: { index: number; secretKey: Hex }[]
  cacheDir: string
  verifier: Hex
}): Promise<PullingReplicas> {
  const subjects = subjectsFor(p.prefix)
  let paused = false
  let running = true
  const connections: NatsConnection[] = []
  const replicas: Replica[] = []
  const loops: Promise<void>[] = []

  async function applyNext(replica: Replica, publisher: SharePublisher) {
    for (const fn of await p.log.listFunctions()) {
      const { lastAppliedSeq } = await replica.state(fn.id)
      const rows = await p.log.range(fn.id, lastAppliedSeq, 64)
      if (rows.length === 0) continue
      const versions = await p.log.listVersions(fn.id)
      for (const v of versions) {
        if (await replica.hasCode(v.codeHash)) continue
        const artifact = (await p.log.getArtifact(v.codeHash))!
        await replica.deploy({ component: Buffer.from(artifact.component, 'base64'), manifest: artifact.manifest as never })
      }
      await replica.bindVersions(
        fn.id,
        versions.map((v) => ({ fromSeq: v.fromSeq, codeHash: v.codeHash as Hex })),
      )
      for (const row of rows) {
        if (paused || !running) return
        const result = await replica.execute(requestOf(row) as ExecuteRequest)
        await publisher.result(fn.id, row.seq, result)
      }
    }
  }

  for (const [k, share] of p.shares.entries()) {
    const index = k + 1
    const replica = await createReplica({ index, cacheDir: p.cacheDir, shareKey: share, chainId: BigInt(p.network.chainId!), verifier: p.verifier })
    replicas.push(replica)
    const nc = await connect({ servers: p.servers, ...natsLogin(p.credentials.find((c) => c.name === `replica-${index}`)!) })
    connections.push(nc)
    const publisher = createSharePublisher({ nc, js: jetstream(nc), subjects, index })
    loops.push(
      (async () => {
        while (running) {
          publisher.alive()
          if (!paused) await applyNext(replica, publisher).catch((err: unknown) => console.error(`replica ${index}:`, err))
          await sleep(50)
        }
      })(),
    )
  }

  return {
    replicas,
    pause: () => (paused = true),
    resume: () => (paused = false),
    async close() {
      running = false
      await Promise.all(loops)
      for (const nc of connections) await nc.close()
      await Promise.all(replicas.map((r) => r.close()))
    },
  }
}
