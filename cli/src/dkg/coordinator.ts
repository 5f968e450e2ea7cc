// The coordinator of a networked DKG: it announces the ceremony (t, n, the chain the keys are for)
// and ends each phase, as soon as every registered participant has spoken or when the phase's time
// is up. It holds no secret and sees only public messages: it computes the verdict from the
// transcript exactly as every participant does and writes nothing but the public network. What
// it can do wrong is end a phase early, which disqualifies the slow (a liveness fault the
// participants see in the transcript); it cannot learn or choose a share.
import type { Hex } from 'viem'
import { judgeDkg, type Network } from '@nexus/protocol/attest'
import type { DkgChannel } from './channel.ts'
import { DkgCeremonyError } from './errors.ts'
import { applyMessage, type CeremonyStart, createTranscript, DKG_PROTOCOL, networkFor, phaseComplete, verdictInputs } from './transcript.ts'
import type { Phase } from './subjects.ts'

export type RunDkgCoordinatorParameters = {
  channel: DkgChannel
  ceremony: string
  t: number
  n: number
  chainId?: string
  verifier?: Hex
  /** How long registration stays open (operators start their participants). */
  joinTimeoutMs: number
  /** How long each later phase, and the wait for participants' confirmations, may take. */
  phaseTimeoutMs: number
  log?: (line: string) => void
}

export type RunDkgCoordinatorReturnType = {
  network: Network
  registered: number[]
  qualified: number[]
  disqualified: { index: number; reason: string }[]
  /** Participants that reported the same group key. */
  confirmed: number[]
  /** Participants that reported another group key (a bug or a fault on their side). */
  disagreeing: number[]
}

/** @example const { network } = await runDkgCoordinator({ channel, ceremony, t: 3, n: 4, joinTimeoutMs: 600_000, phaseTimeoutMs: 30_000 }) */
export async function runDkgCoordinator(p: RunDkgCoordinatorParameters): Promise<RunDkgCoordinatorReturnType> {
  const { channel, ceremony } = p
  const { subjects } = channel
  const log = p.log ?? (() => {})
  const start: CeremonyStart = {
    protocol: DKG_PROTOCOL,
    t: p.t,
    n: p.n,
    ...(p.chainId === undefined ? {} : { chainId: p.chainId }),
    ...(p.verifier === undefined ? {} : { verifier: p.verifier }),
  }
  // A restarted coordinator resumes its ceremony from the stream instead of announcing it twice.
  if (!(await channel.has(subjects.start))) await channel.publish(subjects.start, start)
  const tr = createTranscript()
  const closing = new Set<Phase | 'done'>()
  let timer: NodeJS.Timeout | undefined
  let result: Omit<RunDkgCoordinatorReturnType, 'confirmed' | 'disagreeing'> | undefined
  let failure: unknown

  const close = (phase: Phase | 'done') => {
    if (closing.has(phase)) return
    closing.add(phase)
    if (phase === 'done')
      void channel.close() // stop reading: the confirmations are in, or their time is up
    else channel.publish(subjects.close(phase), {}).catch((err: unknown) => ((failure = err), void channel.close()))
  }
  const arm = (phase: Phase | 'done', ms: number) => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      if (tr.open === phase) log(`phase ${phase}: time is up`)
      close(phase)
    }, ms)
  }

  try {
    for await (const { subject, body } of channel.messages()) {
      const event = applyMessage(tr, subjects, subject, body)
      if (event.kind === 'ignored') {
        if (!subject.endsWith('.start')) log(`ignored ${subject}: ${event.reason}`)
        continue
      }
      if (event.kind === 'started') {
        if (JSON.stringify(event.start) !== JSON.stringify(start))
          throw new DkgCeremonyError(`ceremony ${ceremony} exists already with other parameters: ${JSON.stringify(event.start)}`)
        log(`ceremony ${ceremony}: waiting for ${p.n} participants to register`)
        arm('hello', p.joinTimeoutMs)
      } else if (event.kind === 'counted') {
        if (event.what === 'hello') log(`participant ${event.from} registered`)
      } else {
        const phase = event.phase
        const speakers = { hello: tr.hello, deal: tr.deals, complaints: tr.complaints, answers: tr.answers }[phase]
        log(`phase ${phase} closed: ${speakers.size} of ${phase === 'hello' ? p.n : tr.hello.size} spoke`)
        if (phase === 'answers') {
          const { deals, complaints, answers } = verdictInputs(tr)
          const verdict = judgeDkg({ t: p.t, n: p.n, deals, complaints, answers })
          const network = networkFor(tr.start!, verdict.commitments)
          for (const d of verdict.disqualified) log(`dealer ${d.index} disqualified: ${d.reason}`)
          result = { network, registered: [...tr.hello.keys()].sort((a, b) => a - b), qualified: verdict.qualified, disqualified: verdict.disqualified }
        }
        arm(tr.open!, p.phaseTimeoutMs)
      }
      if (tr.open && phaseComplete(tr)) close(tr.open)
    }
  } catch (err) {
    if (!closing.has('done')) throw err // after the last close, a stopped iterator may end with an error
  } finally {
    clearTimeout(timer)
  }
  if (failure) throw new DkgCeremonyError(`ceremony ${ceremony}: could not publish a phase close`, { cause: failure })
  if (!result) throw new DkgCeremonyError(`ceremony ${ceremony}: the message stream ended before the verdict`)
  const confirmed: number[] = []
  const disagreeing: number[] = []
  for (const [index, done] of [...tr.done].sort(([a], [b]) => a - b))
    (done.groupPublicKey === result.network.groupPublicKey ? confirmed : disagreeing).push(index)
  return { ...result, confirmed, disagreeing }
}
