// The ceremony as everyone sees it: a pure fold over the ceremony's messages in stream order.
// JetStream gives every reader the same messages in the same order, and the coordinator ends each
// phase with a `close` message in that same order, so "what counted" is decided by the stream, not
// by anyone's clock: every participant (and the coordinator) computes the same transcript, hence
// the same verdict. A message counts only while its phase is open, only the first well-formed one
// per sender and kind, and only from a participant that registered (said hello) in time; the
// sender is the subject's index, whatever the body claims.
import type { Hex } from 'viem'
import {
  type DkgAnswer,
  type DkgComplaint,
  type DkgDeal,
  type G2Point,
  MAX_REPLICAS,
  type Network,
  networkFromCommitments,
  parseNetwork,
} from '@nexus/protocol/attest'
import { isSealPublicKey } from './seal.ts'
import { type DkgSubjects, PHASES, type Phase } from './subjects.ts'

export const DKG_PROTOCOL = 'nexus.dkg.v1'

export type CeremonyStart = { protocol: typeof DKG_PROTOCOL; t: number; n: number; chainId?: string; verifier?: Hex }
/** A deal: the Feldman commitments (public) and one sealed share per registered recipient. */
export type DealMessage = { commitments: Hex[]; shares: { recipient: number; box: string }[] }
export type DoneMessage = { groupPublicKey: Hex }

export type Transcript = {
  start?: CeremonyStart
  /** The phase taking messages; undefined before the start, 'done' after the last close. */
  open?: Phase | 'done'
  /** Registered participants' X25519 keys, by index. */
  hello: Map<number, string>
  deals: Map<number, DealMessage>
  complaints: Map<number, DkgComplaint[]>
  answers: Map<number, DkgAnswer[]>
  done: Map<number, DoneMessage>
}

export type TranscriptEvent =
  | { kind: 'started'; start: CeremonyStart }
  | { kind: 'closed'; phase: Phase }
  | { kind: 'counted'; from: number; what: Phase | 'done' }
  | { kind: 'ignored'; subject: string; reason: string }

export const createTranscript = (): Transcript => ({ hello: new Map(), deals: new Map(), complaints: new Map(), answers: new Map(), done: new Map() })

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isIndex = (v: unknown, n: number): v is number => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= n
const isHex = (v: unknown): v is Hex => typeof v === 'string' && /^0x[0-9a-fA-F]{0,512}$/.test(v)
const list = (v: unknown): unknown[] | undefined => (Array.isArray(v) && v.length <= MAX_REPLICAS ? v : undefined)

export function parseStart(body: unknown): CeremonyStart | undefined {
  if (!isObject(body) || body.protocol !== DKG_PROTOCOL) return undefined
  const { t, n, chainId, verifier } = body
  if (!isIndex(n, MAX_REPLICAS) || !isIndex(t, n as number)) return undefined
  if (chainId !== undefined && (typeof chainId !== 'string' || !/^(0|[1-9][0-9]{0,77})$/.test(chainId))) return undefined
  if (verifier !== undefined && (typeof verifier !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(verifier))) return undefined
  return { protocol: DKG_PROTOCOL, t, n, ...(chainId === undefined ? {} : { chainId }), ...(verifier === undefined ? {} : { verifier: verifier as Hex }) }
}

function parseDeal(body: unknown, n: number): DealMessage | undefined {
  if (!isObject(body)) return undefined
  const commitments = list(body.commitments)
  const shares = list(body.shares)
  if (!commitments?.every(isHex) || !shares) return undefined
  const seen = new Set<number>()
  for (const s of shares) {
    if (!isObject(s) || !isIndex(s.recipient, n) || typeof s.box !== 'string' || s.box.length > 512 || seen.has(s.recipient)) return undefined
    seen.add(s.recipient)
  }
  return { commitments, shares: shares.map((s) => ({ recipient: (s as { recipient: number }).recipient, box: (s as { box: string }).box })) }
}

function parseComplaints(body: unknown, accuser: number, n: number): DkgComplaint[] | undefined {
  const against = isObject(body) ? list(body.complaints) : undefined
  if (!against?.every((c) => isObject(c) && isIndex(c.dealer, n))) return undefined
  return [...new Set(against.map((c) => (c as { dealer: number }).dealer))].map((dealer) => ({ accuser, dealer }))
}

function parseAnswers(body: unknown, dealer: number, n: number): DkgAnswer[] | undefined {
  const answers = isObject(body) ? list(body.answers) : undefined
  if (!answers?.every((a) => isObject(a) && isIndex(a.recipient, n) && isHex(a.share))) return undefined
  return answers.map((a) => ({ dealer, recipient: (a as { recipient: number }).recipient, share: (a as { share: Hex }).share }))
}

/** Folds one message into the transcript; says what it changed (or why it did not count). */
export function applyMessage(tr: Transcript, subjects: DkgSubjects, subject: string, body: unknown): TranscriptEvent {
  const ignored = (reason: string): TranscriptEvent => ({ kind: 'ignored', subject, reason })
  const sender = subjects.sender(subject)
  if (!sender) return ignored('not a ceremony subject')
  if (sender.from === 'coordinator') {
    if (sender.kind === 'start') {
      if (tr.start) return ignored('the ceremony has started already')
      const start = parseStart(body)
      if (!start) return ignored('malformed start')
      tr.start = start
      tr.open = 'hello'
      return { kind: 'started', start }
    }
    const phase = sender.kind.slice('close.'.length) as Phase
    if (tr.open !== phase) return ignored(`phase ${phase} is not open`)
    tr.open = PHASES[PHASES.indexOf(phase) + 1] ?? 'done'
    return { kind: 'closed', phase }
  }
  const from = sender.from
  const { start, open } = tr
  if (!start || !open) return ignored('before the start')
  if (from > start.n) return ignored(`participant ${from} is outside 1..${start.n}`)
  if (open !== sender.kind) return ignored(`phase ${sender.kind} is not open`)
  if (sender.kind !== 'hello' && !tr.hello.has(from)) return ignored(`participant ${from} did not register`)
  // The first well-formed message of each kind from each participant counts; later ones never do.
  const record = <T>(map: Map<number, T>, value: T | undefined): TranscriptEvent => {
    if (map.has(from)) return ignored(`participant ${from} sent its ${sender.kind} already`)
    if (value === undefined) return ignored(`malformed ${sender.kind}`)
    map.set(from, value)
    return { kind: 'counted', from, what: sender.kind }
  }
  const n = start.n
  const field = (name: string) => (isObject(body) ? body[name] : undefined)
  switch (sender.kind) {
    case 'hello':
      return record(tr.hello, isSealPublicKey(field('key')) ? (field('key') as string) : undefined)
    case 'deal':
      return record(tr.deals, parseDeal(body, n))
    case 'complaints':
      return record(tr.complaints, parseComplaints(body, from, n))
    case 'answers':
      return record(tr.answers, parseAnswers(body, from, n))
    case 'done':
      return record(tr.done, isHex(field('groupPublicKey')) ? { groupPublicKey: field('groupPublicKey') as Hex } : undefined)
  }
}

/** Whether every registered participant has spoken in the open phase (the coordinator may close it early). */
export function phaseComplete(tr: Transcript): boolean {
  if (!tr.start || !tr.open) return false
  if (tr.open === 'hello') return tr.hello.size === tr.start.n
  const spoken = { deal: tr.deals, complaints: tr.complaints, answers: tr.answers, done: tr.done }[tr.open]
  return [...tr.hello.keys()].every((i) => spoken.has(i))
}

/** The public inputs of the verdict (judgeDkg), the same for everyone who read the same stream. */
export function verdictInputs(tr: Transcript): { deals: Map<number, DkgDeal>; complaints: DkgComplaint[]; answers: DkgAnswer[] } {
  const deals = new Map<number, DkgDeal>()
  for (const [dealer, deal] of tr.deals) deals.set(dealer, { dealer, commitments: deal.commitments })
  return { deals, complaints: [...tr.complaints.values()].flat(), answers: [...tr.answers.values()].flat() }
}

/** The network the verdict's commitments define, pinned to the chain and verifier the ceremony announced. */
export function networkFor(start: CeremonyStart, commitments: readonly G2Point[]): Network {
  return parseNetwork({
    ...networkFromCommitments(start.t, start.n, commitments),
    ...(start.chainId === undefined ? {} : { chainId: start.chainId }),
    ...(start.verifier === undefined ? {} : { verifier: start.verifier }),
  })
}
