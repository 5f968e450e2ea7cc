// Distributed key generation with no trusted dealer: Pedersen's joint-Feldman protocol
// (docs/protocol.md §3). Each participant deals a random polynomial; complaints force an accused
// dealer to publish the disputed share; dealers that fail are disqualified; the group key is the
// sum over the qualified dealers. `runDkg` simulates the message exchange in-process; the
// participant functions are what a networked run would call on each replica.
import type { Hex } from 'viem'
import { DkgError, MalformedPointError, PointNotInSubgroupError } from './errors.ts'
import { commitPolynomial, createScalarSource, evalPolynomial, type ShareKey } from './keys.ts'
import { assertThreshold, deriveSharePublicKey, type Network, networkFromCommitments } from './network.ts'
import { bls, CURVE_ORDER, decodeG2, encodeG2, encodeScalar, type G2Point } from './points.ts'

const Fr = bls.fields.Fr

/** Broadcast by every dealer: Feldman commitments to its polynomial. */
export type DkgDeal = { dealer: number; commitments: Hex[] }
/** Sent privately from a dealer to one recipient: f_dealer(recipient). */
export type DkgPrivateShare = { dealer: number; recipient: number; share: Hex }
/** Broadcast by a recipient whose share from `dealer` fails the commitments (or never came). */
export type DkgComplaint = { accuser: number; dealer: number }
/** Broadcast by an accused dealer: the disputed share, made public. */
export type DkgAnswer = { dealer: number; recipient: number; share: Hex }

/** Ways a simulated participant can misbehave (for tests and demos). */
export type DkgFault =
  | { index: number; kind: 'bad-share'; victims: number[] } // wrong shares, and keeps lying when accused
  | { index: number; kind: 'bad-share-then-correct'; victims: number[] } // wrong shares, honest answer
  | { index: number; kind: 'no-answer'; victims: number[] } // wrong shares, ignores complaints
  | { index: number; kind: 'false-complaint'; against: number[] } // accuses honest dealers
  | { index: number; kind: 'no-deal' } // never deals
  | { index: number; kind: 'bad-commitments' } // commits to a polynomial of the wrong degree

export type DkgParticipant = {
  index: number
  /** Round 1: commitments to broadcast and one private share per recipient (1..n, including itself). */
  deal(): { broadcast: DkgDeal | undefined; shares: DkgPrivateShare[] }
  /** Round 2: check the share from each dealer; return complaints to broadcast. */
  check(deals: ReadonlyMap<number, DkgDeal>, shares: readonly DkgPrivateShare[]): DkgComplaint[]
  /** Round 3: answer complaints against this participant by publishing the disputed shares. */
  answer(complaints: readonly DkgComplaint[]): DkgAnswer[]
  /** Round 4: the secret share, summed over the qualified dealers. */
  finish(qualified: readonly number[], answers: readonly DkgAnswer[]): ShareKey
}

function shareMatches(share: bigint, recipient: number, commitments: readonly G2Point[]): boolean {
  if (share <= 0n || share >= CURVE_ORDER) return false
  return bls.G2.Point.BASE.multiply(share).equals(deriveSharePublicKey(commitments, recipient))
}

function decodeCommitments(deal: DkgDeal | undefined, t: number): G2Point[] | string {
  if (!deal) return 'did not deal'
  if (deal.commitments.length !== t) return `published ${deal.commitments.length} commitments, expected ${t}`
  try {
    return deal.commitments.map((c, k) => decodeG2(c, `commitment ${k} of dealer ${deal.dealer}`))
  } catch (err) {
    if (err instanceof MalformedPointError || err instanceof PointNotInSubgroupError) return err.shortMessage
    throw err
  }
}

const scalarOf = (hex: Hex): bigint => (/^0x[0-9a-fA-F]{64}$/.test(hex) ? BigInt(hex) : -1n)

export type CreateDkgParticipantParameters = { index: number; t: number; n: number; seed?: Uint8Array; fault?: DkgFault }

/** One replica's side of the DKG. Holds its polynomial and received shares in a closure. */
export function createDkgParticipant({ index, t, n, seed, fault }: CreateDkgParticipantParameters): DkgParticipant {
  const next = createScalarSource(seed, `nexus-dkg-v1 participant ${index}`)
  const degree = fault?.kind === 'bad-commitments' ? t + 1 : t
  const coefficients = Array.from({ length: degree }, () => next())
  const lieTo = new Set(fault && 'victims' in fault ? fault.victims : [])
  const received = new Map<number, bigint>()
  const honestShare = (recipient: number) => evalPolynomial(coefficients, BigInt(recipient))
  const sentShare = (recipient: number) => (lieTo.has(recipient) ? Fr.add(honestShare(recipient), 1n) : honestShare(recipient))

  return {
    index,
    deal() {
      if (fault?.kind === 'no-deal') return { broadcast: undefined, shares: [] }
      const broadcast = { dealer: index, commitments: commitPolynomial(coefficients).map(encodeG2) }
      const shares = []
      for (let recipient = 1; recipient <= n; recipient++) shares.push({ dealer: index, recipient, share: encodeScalar(sentShare(recipient)) })
      return { broadcast, shares }
    },
    check(deals, shares) {
      const complaints: DkgComplaint[] = []
      for (let dealer = 1; dealer <= n; dealer++) {
        const commitments = decodeCommitments(deals.get(dealer), t)
        if (typeof commitments === 'string') continue // everyone sees a bad broadcast; no complaint needed
        const mine = shares.find((s) => s.dealer === dealer && s.recipient === index)
        const value = mine ? scalarOf(mine.share) : -1n
        const falseAccusation = fault?.kind === 'false-complaint' && fault.against.includes(dealer)
        if (value > 0n) received.set(dealer, value)
        if (falseAccusation || !shareMatches(value, index, commitments)) complaints.push({ accuser: index, dealer })
      }
      return complaints
    },
    answer(complaints) {
      if (fault?.kind === 'no-answer') return []
      return complaints
        .filter((c) => c.dealer === index)
        .map((c) => ({
          dealer: index,
          recipient: c.accuser,
          share: encodeScalar(fault?.kind === 'bad-share-then-correct' ? honestShare(c.accuser) : sentShare(c.accuser)),
        }))
    },
    finish(qualified, answers) {
      let sk = 0n
      for (const dealer of qualified) {
        const answered = answers.find((a) => a.dealer === dealer && a.recipient === index)
        const value = answered ? scalarOf(answered.share) : received.get(dealer)
        if (value === undefined || value < 0n) throw new DkgError(`participant ${index} has no valid share from qualified dealer ${dealer}`)
        sk = Fr.add(sk, value)
      }
      if (sk === 0n) throw new DkgError(`participant ${index} ended with a zero share`)
      return { index, secretKey: encodeScalar(sk) }
    },
  }
}

export type DkgVerdict = {
  qualified: number[]
  disqualified: { index: number; reason: string }[]
  /** Σ over qualified dealers of their commitments: C_0 is the group public key. */
  commitments: G2Point[]
}

/**
 * The public judgement every participant computes identically from the broadcast messages:
 * which dealers are disqualified, and the combined commitments of the rest.
 */
export function judgeDkg(p: {
  t: number
  n: number
  deals: ReadonlyMap<number, DkgDeal>
  complaints: readonly DkgComplaint[]
  answers: readonly DkgAnswer[]
}): DkgVerdict {
  const qualified: number[] = []
  const disqualified: { index: number; reason: string }[] = []
  const combined: G2Point[] = Array.from({ length: p.t }, () => bls.G2.Point.ZERO as G2Point)
  for (let dealer = 1; dealer <= p.n; dealer++) {
    const commitments = decodeCommitments(p.deals.get(dealer), p.t)
    if (typeof commitments === 'string') {
      disqualified.push({ index: dealer, reason: commitments })
      continue
    }
    const accusers = [...new Set(p.complaints.filter((c) => c.dealer === dealer).map((c) => c.accuser))]
    let reason: string | undefined
    if (accusers.length >= p.t) reason = `accused by ${accusers.length} participants (threshold ${p.t})`
    for (const accuser of accusers) {
      if (reason) break
      const answer = p.answers.find((a) => a.dealer === dealer && a.recipient === accuser)
      if (!answer) reason = `did not answer the complaint of participant ${accuser}`
      else if (!shareMatches(scalarOf(answer.share), accuser, commitments)) reason = `published share for participant ${accuser} does not match its commitments`
    }
    if (reason) {
      disqualified.push({ index: dealer, reason })
      continue
    }
    qualified.push(dealer)
    for (let k = 0; k < p.t; k++) combined[k] = combined[k]!.add(commitments[k]!)
  }
  if (qualified.length < p.t)
    throw new DkgError(`only ${qualified.length} qualified dealers, need at least t = ${p.t}`, {
      metaMessages: disqualified.map((d) => `dealer ${d.index}: ${d.reason}`),
    })
  return { qualified, disqualified, commitments: combined }
}

export type RunDkgParameters = { t: number; n: number; seed?: Uint8Array; faults?: DkgFault[] }
export type RunDkgReturnType = {
  network: Network
  shares: ShareKey[]
  commitments: Hex[]
  qualified: number[]
  disqualified: { index: number; reason: string }[]
  complaints: DkgComplaint[]
}

/**
 * Run the DKG among `n` in-process participants (messages exchanged in memory).
 * @example const { network, shares, disqualified } = runDkg({ t: 3, n: 4 })
 */
export function runDkg({ t, n, seed, faults = [] }: RunDkgParameters): RunDkgReturnType {
  assertThreshold(t, n)
  const participants = Array.from({ length: n }, (_, i) => createDkgParticipant({ index: i + 1, t, n, seed, fault: faults.find((f) => f.index === i + 1) }))
  const deals = new Map<number, DkgDeal>()
  const inbox = new Map<number, DkgPrivateShare[]>()
  for (const participant of participants) {
    const { broadcast, shares } = participant.deal()
    if (broadcast) deals.set(participant.index, broadcast)
    for (const share of shares) inbox.set(share.recipient, [...(inbox.get(share.recipient) ?? []), share])
  }
  const complaints = participants.flatMap((p) => p.check(deals, inbox.get(p.index) ?? []))
  const answers = participants.flatMap((p) => p.answer(complaints))
  const verdict = judgeDkg({ t, n, deals, complaints, answers })
  const shares = participants.map((p) => p.finish(verdict.qualified, answers))
  const network = networkFromCommitments(t, n, verdict.commitments)
  // Each participant checks its final share against the combined commitments.
  for (const share of shares) {
    const pk = network.sharePublicKeys[share.index - 1]!.publicKey
    if (encodeG2(bls.G2.Point.BASE.multiply(BigInt(share.secretKey)) as G2Point) !== pk)
      throw new DkgError(`final share of participant ${share.index} does not match the combined commitments`)
  }
  return { network, shares, commitments: network.commitments!, qualified: verdict.qualified, disqualified: verdict.disqualified, complaints }
}
