// The networked DKG's logic (participants and coordinator) over an in-memory stream: every fault
// the library knows gets the verdict the in-process runDkg gives it, every participant ends with the
// same network, and the shares sign. A forged registration and a late participant are refused.
// The same code on a real NATS server, as separate processes: cli/test/dkg-nats.cluster.test.ts.
import { describe, expect, test } from 'vitest'
import { combineShares, type DkgFault, runDkg, signShare, verifySignature } from '@nexus/protocol/attest'
import type { DkgChannel, DkgMessage } from './channel.ts'
import { runDkgCoordinator } from './coordinator.ts'
import { runDkgParticipant } from './participant.ts'
import { dkgSubjects } from './subjects.ts'

/** One ordered message list shared by every channel opened on it, like a JetStream stream. */
function memoryStream(ceremony: string) {
  const stored: DkgMessage[] = []
  const wake = new Set<() => void>()
  const notify = () => {
    for (const w of [...wake]) w()
  }
  return (): DkgChannel => {
    let closed = false
    return {
      subjects: dkgSubjects('mem', ceremony),
      async publish(subject, body) {
        stored.push({ subject, body: JSON.parse(JSON.stringify(body)) })
        notify()
      },
      async *messages() {
        for (let i = 0; !closed; ) {
          if (i < stored.length) yield stored[i++]!
          else await new Promise<void>((r) => wake.add(() => (wake.clear(), r())))
        }
      },
      has: async (subject) => stored.some((m) => m.subject === subject),
      async close() {
        closed = true
        notify()
      },
    }
  }
}

async function ceremony(faults: DkgFault[], present = [1, 2, 3, 4]) {
  const open = memoryStream('mem-test')
  const participants = present.map((index) =>
    runDkgParticipant({ channel: open(), ceremony: 'mem-test', index, timeoutMs: 10_000, fault: faults.find((f) => f.index === index) }).then(
      (r) => r,
      (err: Error) => err,
    ),
  )
  // Phases end early when everyone spoke; the time limits only matter for a silent participant, and
  // are generous so that a loaded machine does not make an honest one late.
  const coordinator = await runDkgCoordinator({ channel: open(), ceremony: 'mem-test', t: 3, n: 4, joinTimeoutMs: 2000, phaseTimeoutMs: 2000 })
  return { coordinator, participants: await Promise.all(participants) }
}

describe('every library fault gets the in-process verdict', () => {
  const faults: DkgFault[] = [
    { index: 2, kind: 'bad-share', victims: [3] },
    { index: 2, kind: 'bad-share-then-correct', victims: [3, 4] },
    { index: 3, kind: 'no-answer', victims: [1] },
    { index: 4, kind: 'false-complaint', against: [1] },
    { index: 1, kind: 'no-deal' },
    { index: 2, kind: 'bad-commitments' },
  ]
  test.each(faults.map((f) => [f.kind, f] as const))('%s', async (_, fault) => {
    const expected = runDkg({ t: 3, n: 4, faults: [fault] })
    const { coordinator, participants } = await ceremony([fault])
    expect(coordinator.disqualified).toEqual(expected.disqualified)
    expect(coordinator.qualified).toEqual(expected.qualified)
    expect(coordinator.confirmed).toEqual([1, 2, 3, 4])
    const digest = `0x${'ab'.repeat(32)}` as const
    const shares = participants.map((p) => {
      if (p instanceof Error) throw p
      expect(p.network).toEqual(coordinator.network)
      return signShare(digest, p.share)
    })
    const { signature } = combineShares(digest, shares.slice(1), coordinator.network)
    expect(verifySignature(digest, signature, coordinator.network.groupPublicKey)).toBe(true)
  })
})

test('a participant missing at registration is disqualified; one that comes late is refused', async () => {
  const open = memoryStream('late')
  const early = [1, 2, 3].map((index) => runDkgParticipant({ channel: open(), ceremony: 'late', index, timeoutMs: 10_000 }))
  const coordinator = await runDkgCoordinator({ channel: open(), ceremony: 'late', t: 3, n: 4, joinTimeoutMs: 1000, phaseTimeoutMs: 2000 })
  expect(coordinator.registered).toEqual([1, 2, 3])
  expect(coordinator.disqualified).toEqual([{ index: 4, reason: 'did not deal' }])
  await Promise.all(early)
  await expect(runDkgParticipant({ channel: open(), ceremony: 'late', index: 4, timeoutMs: 10_000 })).rejects.toThrow(
    /registration closed before participant 4 registered/,
  )
})

test('a registration forged ahead of a participant makes that participant stop, not deal to the forger', async () => {
  const open = memoryStream('forged')
  const forger = open()
  await forger.publish(forger.subjects.start, { protocol: 'nexus.dkg.v1', t: 2, n: 2 })
  await forger.publish(forger.subjects.participant(2, 'hello'), { key: Buffer.alloc(32, 9).toString('base64url') })
  await expect(runDkgParticipant({ channel: open(), ceremony: 'forged', index: 2, timeoutMs: 10_000 })).rejects.toThrow(/registered by another process/)
})

test('a participant refuses a ceremony with other parameters than it expects', async () => {
  const open = memoryStream('params')
  const coordinator = open()
  await coordinator.publish(coordinator.subjects.start, { protocol: 'nexus.dkg.v1', t: 2, n: 3 })
  await expect(runDkgParticipant({ channel: open(), ceremony: 'params', index: 1, expect: { t: 3 }, timeoutMs: 10_000 })).rejects.toThrow(/expects t = 3/)
  await expect(runDkgParticipant({ channel: open(), ceremony: 'params', index: 4, timeoutMs: 10_000 })).rejects.toThrow(/index 4 is not one of them/)
})

test('a coordinator restarted with the same ceremony id resumes it from the stream', async () => {
  const open = memoryStream('resume')
  const participants = [1, 2, 3].map((index) => runDkgParticipant({ channel: open(), ceremony: 'resume', index, timeoutMs: 10_000 }))
  const first = open()
  const gone = runDkgCoordinator({ channel: first, ceremony: 'resume', t: 3, n: 4, joinTimeoutMs: 60_000, phaseTimeoutMs: 2000 })
  const registered = open()
  let hellos = 0
  for await (const m of registered.messages()) if (m.subject.endsWith('.hello') && ++hellos === 3) break
  await first.close() // the first coordinator dies while registration is open
  await expect(gone).rejects.toThrow(/ended before the verdict/)
  const second = await runDkgCoordinator({ channel: open(), ceremony: 'resume', t: 3, n: 4, joinTimeoutMs: 1000, phaseTimeoutMs: 2000 })
  expect(second.registered).toEqual([1, 2, 3])
  expect(second.confirmed).toEqual([1, 2, 3])
  for (const p of await Promise.all(participants)) expect(p.network).toEqual(second.network)
})
