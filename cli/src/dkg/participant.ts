// One replica host's side of a networked DKG: registers a fresh X25519 key, deals when
// registration closes (commitments in public, each share sealed to its recipient), checks the
// shares dealt to it, complains, answers complaints against it, and, once the coordinator closes
// the last phase, computes the verdict from the transcript like everyone else and keeps its share.
// The protocol steps are the library's (createDkgParticipant, judgeDkg); this file only moves
// their messages. The share never leaves the process: only its public key is announced.
import { hexToBytes, toHex } from 'viem'
import {
  createDkgParticipant,
  type DkgFault,
  type DkgParticipant,
  type DkgPrivateShare,
  encodeG2,
  judgeDkg,
  type Network,
  type ShareKey,
  sharePublicKey,
} from '@nexus/protocol/attest'
import type { DkgChannel } from './channel.ts'
import { DkgCeremonyError } from './errors.ts'
import { createSealKeys, open, seal } from './seal.ts'
import { applyMessage, type CeremonyStart, createTranscript, networkFor, verdictInputs } from './transcript.ts'

export type RunDkgParticipantParameters = {
  channel: DkgChannel
  ceremony: string
  index: number
  /** Refuse a ceremony whose t or n differ from what the operator expects. */
  expect?: { t?: number; n?: number }
  /** Give up after this long (the coordinator is gone, or the ceremony stalls). */
  timeoutMs: number
  /** Library fault injection, for tests only (no command-line flag reaches it). */
  fault?: DkgFault
  log?: (line: string) => void
}

export type RunDkgParticipantReturnType = {
  share: ShareKey
  network: Network
  qualified: number[]
  disqualified: { index: number; reason: string }[]
}

/** Both sides of a sealed share use this context: it binds the box to the ceremony and the pair. */
export const shareContext = (ceremony: string, dealer: number, recipient: number) => `${ceremony} ${dealer}->${recipient}`

function checkStart(start: CeremonyStart, index: number, expect: RunDkgParticipantParameters['expect']): void {
  if (index > start.n) throw new DkgCeremonyError(`this ceremony has n = ${start.n} participants; index ${index} is not one of them`)
  if (expect?.t !== undefined && expect.t !== start.t)
    throw new DkgCeremonyError(`the ceremony is for t = ${start.t}, this participant expects t = ${expect.t}`)
  if (expect?.n !== undefined && expect.n !== start.n)
    throw new DkgCeremonyError(`the ceremony is for n = ${start.n}, this participant expects n = ${expect.n}`)
}

/** @example const { share, network } = await runDkgParticipant({ channel, ceremony, index: 2, timeoutMs: 600_000 }) */
export async function runDkgParticipant(p: RunDkgParticipantParameters): Promise<RunDkgParticipantReturnType> {
  const { channel, ceremony, index } = p
  const { subjects } = channel
  const log = p.log ?? (() => {})
  const tr = createTranscript()
  const keys = createSealKeys()
  let dkg: DkgParticipant | undefined
  let ownShare: DkgPrivateShare | undefined
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    void channel.close()
  }, p.timeoutMs)
  try {
    return await follow()
  } catch (err) {
    if (!timedOut) throw err
    throw new DkgCeremonyError(`ceremony ${ceremony} did not finish within ${p.timeoutMs / 1000} s (phase ${tr.open ?? 'waiting for the coordinator'})`)
  } finally {
    clearTimeout(timer)
  }

  async function follow(): Promise<RunDkgParticipantReturnType> {
    for await (const { subject, body } of channel.messages()) {
      const event = applyMessage(tr, subjects, subject, body)
      const start = tr.start
      if (event.kind === 'ignored' || !start) continue
      if (event.kind === 'started') {
        checkStart(start, index, p.expect)
        dkg = createDkgParticipant({ index, t: start.t, n: start.n, fault: p.fault })
        log(`ceremony ${ceremony}: ${start.t}-of-${start.n}; registering as participant ${index}`)
        await channel.publish(subjects.participant(index, 'hello'), { key: keys.publicKey })
        continue
      }
      if (event.kind === 'counted') {
        if (event.what === 'hello' && event.from === index && tr.hello.get(index) !== keys.publicKey)
          throw new DkgCeremonyError(`participant ${index} was registered by another process (or an earlier run of this one); its shares cannot be read here`)
        continue
      }
      if (!dkg) continue
      if (event.phase === 'hello') {
        if (!tr.hello.has(index)) throw new DkgCeremonyError(`registration closed before participant ${index} registered`)
        const { broadcast, shares } = dkg.deal()
        if (!broadcast) continue // a fault that never deals
        ownShare = shares.find((s) => s.recipient === index)
        const sealed = shares
          .filter((s) => s.recipient !== index && tr.hello.has(s.recipient))
          .map((s) => ({
            recipient: s.recipient,
            box: seal({ keys, peer: tr.hello.get(s.recipient)!, context: shareContext(ceremony, index, s.recipient), plaintext: hexToBytes(s.share) }),
          }))
        await channel.publish(subjects.participant(index, 'deal'), { commitments: broadcast.commitments, shares: sealed })
        log(`dealt to ${tr.hello.size} registered participants`)
      } else if (event.phase === 'deal') {
        const mine: DkgPrivateShare[] = []
        for (const [dealer, deal] of tr.deals) {
          if (dealer === index) {
            if (ownShare) mine.push(ownShare)
            continue
          }
          const box = deal.shares.find((s) => s.recipient === index)?.box
          const plaintext = open({ keys, peer: tr.hello.get(dealer)!, context: shareContext(ceremony, dealer, index), box })
          if (plaintext) mine.push({ dealer, recipient: index, share: toHex(plaintext) })
        }
        const complaints = dkg.check(verdictInputs(tr).deals, mine)
        await channel.publish(subjects.participant(index, 'complaints'), { complaints: complaints.map((c) => ({ dealer: c.dealer })) })
        if (complaints.length) log(`complained about dealers ${complaints.map((c) => c.dealer).join(', ')}`)
      } else if (event.phase === 'complaints') {
        const answers = dkg.answer(verdictInputs(tr).complaints)
        await channel.publish(subjects.participant(index, 'answers'), { answers: answers.map((a) => ({ recipient: a.recipient, share: a.share })) })
      } else if (event.phase === 'answers') {
        const { deals, complaints, answers } = verdictInputs(tr)
        const verdict = judgeDkg({ t: start.t, n: start.n, deals, complaints, answers })
        const share = dkg.finish(verdict.qualified, answers)
        const network = networkFor(start, verdict.commitments)
        if (encodeG2(sharePublicKey(share)) !== network.sharePublicKeys[index - 1]!.publicKey)
          throw new DkgCeremonyError(`participant ${index}'s share does not match the verdict's share public key`)
        await channel.publish(subjects.participant(index, 'done'), { groupPublicKey: network.groupPublicKey })
        return { share, network, qualified: verdict.qualified, disqualified: verdict.disqualified }
      }
    }
    throw new DkgCeremonyError(`ceremony ${ceremony}: the message stream ended`)
  }
}
