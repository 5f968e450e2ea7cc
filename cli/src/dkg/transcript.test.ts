// The transcript fold that makes every reader reach the same verdict: what counts is decided by
// stream order and the coordinator's closes, the sender by the subject, the first message by kind.
import { expect, test } from 'vitest'
import { applyMessage, createTranscript, DKG_PROTOCOL, phaseComplete, type Transcript } from './transcript.ts'
import { dkgSubjects } from './subjects.ts'

const subjects = dkgSubjects('nexus', 'c1')
const key = (k: number) => Buffer.alloc(32, k).toString('base64url')
const commitments = ['0x01', '0x02']

function fold(messages: [string, unknown][]): { tr: Transcript; events: ReturnType<typeof applyMessage>[] } {
  const tr = createTranscript()
  return { tr, events: messages.map(([subject, body]) => applyMessage(tr, subjects, subject, body)) }
}

const start: [string, unknown] = [subjects.start, { protocol: DKG_PROTOCOL, t: 2, n: 3 }]
const hello = (i: number, k = i): [string, unknown] => [subjects.participant(i, 'hello'), { key: key(k) }]
const close = (phase: 'hello' | 'deal' | 'complaints' | 'answers'): [string, unknown] => [subjects.close(phase), {}]
const deal = (i: number, c = commitments): [string, unknown] => [subjects.participant(i, 'deal'), { commitments: c, shares: [] }]

test('subjects name the sender; other ceremonies and shapes are not ceremony messages', () => {
  expect(subjects.sender('nexus.dkg.c1.replica.3.deal')).toEqual({ from: 3, kind: 'deal' })
  expect(subjects.sender('nexus.dkg.c1.coordinator.close.answers')).toEqual({ from: 'coordinator', kind: 'close.answers' })
  for (const s of [
    'nexus.dkg.c2.replica.3.deal',
    'nexus.dkg.c1.replica.0.deal',
    'nexus.dkg.c1.replica.3.share',
    'nexus.dkg.c1.replica.03.deal',
    'nexus.dkg.c1.coordinator.close.done',
  ])
    expect(subjects.sender(s)).toBeUndefined()
  expect(() => dkgSubjects('nexus', 'a.b')).toThrow(/ceremony id/)
})

test('a message counts only while its phase is open and only from a registered participant', () => {
  const { tr, events } = fold([hello(1), start, hello(1), hello(2), deal(1), close('hello'), hello(3), deal(1), deal(3), close('deal'), deal(2)])
  expect(events.map((e) => e.kind)).toEqual([
    'ignored',
    'started',
    'counted',
    'counted',
    'ignored',
    'closed',
    'ignored',
    'counted',
    'ignored',
    'closed',
    'ignored',
  ])
  expect([...tr.hello.keys()]).toEqual([1, 2])
  expect([...tr.deals.keys()]).toEqual([1])
  expect(tr.open).toBe('complaints')
})

test('the first well-formed message of a kind counts; a second one (equivocation) does not', () => {
  const { tr, events } = fold([start, hello(1), hello(1, 9), hello(2), close('hello'), deal(1, ['oops' as never]), deal(1), deal(1, ['0x03', '0x04'])])
  expect(tr.hello.get(1)).toBe(key(1))
  expect(tr.deals.get(1)!.commitments).toEqual(commitments)
  expect(events.filter((e) => e.kind === 'ignored').map((e) => (e as { reason: string }).reason)).toEqual([
    'participant 1 sent its hello already',
    'malformed deal',
    'participant 1 sent its deal already',
  ])
})

test('the body cannot speak for another participant: accuser and dealer come from the subject', () => {
  const { tr } = fold([
    start,
    hello(1),
    hello(2),
    close('hello'),
    close('deal'),
    [subjects.participant(2, 'complaints'), { complaints: [{ dealer: 1, accuser: 3 }] }],
    close('complaints'),
    [subjects.participant(1, 'answers'), { answers: [{ recipient: 2, share: '0x05', dealer: 3 }] }],
  ])
  expect(tr.complaints.get(2)).toEqual([{ accuser: 2, dealer: 1 }])
  expect(tr.answers.get(1)).toEqual([{ dealer: 1, recipient: 2, share: '0x05' }])
})

test('a close for a phase that is not open changes nothing; a phase is complete when every registered participant spoke', () => {
  const { tr, events } = fold([start, close('deal'), hello(1), hello(2), hello(3)])
  expect(events[1]).toMatchObject({ kind: 'ignored', reason: 'phase deal is not open' })
  expect(phaseComplete(tr)).toBe(true)
  fold([close('hello')]) // another transcript: no effect here
  applyMessage(tr, subjects, ...close('hello'))
  applyMessage(tr, subjects, ...deal(1))
  expect(phaseComplete(tr)).toBe(false)
  applyMessage(tr, subjects, ...deal(2))
  applyMessage(tr, subjects, ...deal(3))
  expect(phaseComplete(tr)).toBe(true)
})

test('a malformed or second start is ignored', () => {
  const { tr, events } = fold([[subjects.start, { protocol: DKG_PROTOCOL, t: 4, n: 3 }], start, [subjects.start, { protocol: DKG_PROTOCOL, t: 1, n: 1 }]])
  expect(events.map((e) => e.kind)).toEqual(['ignored', 'started', 'ignored'])
  expect(tr.start).toMatchObject({ t: 2, n: 3 })
})
