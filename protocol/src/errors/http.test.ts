// The one error → HTTP mapping: a NexusError answers with its own status, code, short message and
// the fields it chooses to show; an HTTPException keeps its status; anything else is 500 INTERNAL
// and shows nothing of itself (its message can hold a connection string or a key).
import { describe, expect, it } from 'vitest'
import { NexusError } from './base.ts'
import { errorAnswer, errorBody, errorBoundary, errorStatus } from './http.ts'

class NotThereError extends NexusError {
  override name = 'NotThereError'
  override code = 'NOT_THERE'
  override status = 404
}

class GapError extends NexusError {
  override name = 'GapError'
  override code = 'GAP'
  override status = 409
  constructor(expected: bigint) {
    super(`Expected seq ${expected} next.`)
    this.httpFields = { expected: expected.toString() }
  }
}

class WrongMethodError extends NexusError {
  override name = 'WrongMethodError'
  override code = 'METHOD_NOT_ALLOWED'
  override status = 405
  constructor(allow: string[]) {
    super('Wrong method.')
    this.httpHeaders = { Allow: allow.join(', ') }
  }
}

/** Shaped like Hono's HTTPException (hono/http-exception), which the framework does not depend on. */
class HttpException extends Error {
  constructor(
    readonly status: number,
    message?: string,
  ) {
    super(message)
  }
  getResponse() {
    return new Response(this.message, { status: this.status })
  }
}

const SECRET = 'postgres://nexus:hunter2@db.internal:5432/log'

describe('errorStatus / errorBody', () => {
  it('answers a NexusError with its status, code and short message, never its details or cause', () => {
    const err = new NotThereError('Unknown function "x".', { cause: new Error(SECRET), metaMessages: ['hint'] })
    expect(errorStatus(err)).toBe(404)
    expect(errorBody(err)).toEqual({ error: { code: 'NOT_THERE', message: 'Unknown function "x".' } })
    expect(JSON.stringify(errorBody(err))).not.toContain('hunter2')
  })

  it('answers a NexusError that names no status with 500, keeping its code and message', () => {
    const err = new NexusError('Something of ours failed.')
    expect(errorAnswer(err)).toEqual({ status: 500, body: { error: { code: 'NEXUS_ERROR', message: 'Something of ours failed.' } }, headers: {} })
  })

  it('adds the fields and headers an error chooses to show, and no field replaces code or message', () => {
    expect(errorAnswer(new GapError(7n))).toEqual({
      status: 409,
      body: { error: { code: 'GAP', message: 'Expected seq 7 next.', expected: '7' } },
      headers: {},
    })
    expect(errorAnswer(new WrongMethodError(['GET', 'HEAD']))).toMatchObject({ status: 405, headers: { Allow: 'GET, HEAD' } })
    const sneaky = new NotThereError('Real message.')
    sneaky.httpFields = { code: 'OTHER', message: 'other', field: 'manifest.name' }
    expect(errorBody(sneaky)).toEqual({ error: { code: 'NOT_THERE', message: 'Real message.', field: 'manifest.name' } })
  })

  it('answers 500 for a status that is not an error status', () => {
    const ok = new NotThereError('x')
    ok.status = 200
    expect(errorStatus(ok)).toBe(500)
  })

  it('keeps the status of an HTTPException: 413 is PAYLOAD_TOO_LARGE, others HTTP_ERROR', () => {
    expect(errorAnswer(new HttpException(413))).toEqual({
      status: 413,
      body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body too large.' } },
      headers: {},
    })
    expect(errorAnswer(new HttpException(401, 'Bad credentials.'))).toEqual({
      status: 401,
      body: { error: { code: 'HTTP_ERROR', message: 'Bad credentials.' } },
      headers: {},
    })
  })

  it('answers anything else with 500 INTERNAL and nothing of its message', () => {
    for (const thrown of [new Error(`connect failed: ${SECRET}`), new TypeError(SECRET), SECRET, undefined, { password: 'hunter2' }]) {
      expect(errorAnswer(thrown)).toEqual({ status: 500, body: { error: { code: 'INTERNAL', message: 'Internal error.' } }, headers: {} })
    }
  })
})

describe('errorBoundary', () => {
  it('builds the JSON Response and logs only the unexpected errors', async () => {
    const logged: unknown[] = []
    const boundary = errorBoundary({ log: (err) => logged.push(err) })

    const known = boundary(new WrongMethodError(['POST']))
    expect(known.status).toBe(405)
    expect(known.headers.get('content-type')).toBe('application/json')
    expect(known.headers.get('allow')).toBe('POST')
    expect(await known.json()).toEqual({ error: { code: 'METHOD_NOT_ALLOWED', message: 'Wrong method.' } })

    const bug = new Error(SECRET)
    const internal = boundary(bug)
    expect(internal.status).toBe(500)
    const text = await internal.text()
    expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL', message: 'Internal error.' } })
    expect(text).not.toContain('hunter2')
    expect(logged).toEqual([bug])
  })
})
