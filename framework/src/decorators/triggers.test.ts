// What the decorators record: declarations in source order, the call site of each, and clear
// errors for uses the build could not call.
import { describe, expect, test } from 'vitest'
import { fileURLToPath } from 'node:url'
import { onBlock, onCron, onEvent, onHttp } from './triggers.ts'
import { registrationsOf } from './registry.ts'

const here = fileURLToPath(import.meta.url)

describe('decorators', () => {
  test('stacked decorators are recorded in source order with the line each was written on', () => {
    class Handlers {
      @onEvent({ contract: 'Token', event: 'Transfer' })
      @onHttp({ method: 'GET', path: '/balance/:addr' })
      both() {}
    }
    const regs = registrationsOf(Handlers.prototype.both)
    expect(regs.map((r) => r.declaration)).toEqual([
      { kind: 'event', contract: 'Token', event: 'Transfer' },
      { kind: 'route', method: 'GET', path: '/balance/:addr' },
    ])
    expect(regs.map((r) => r.site?.file)).toEqual([here, here])
    expect(regs[1]!.site!.line).toBe(regs[0]!.site!.line + 1)
  })

  test('plain forms return the handler itself, registered', () => {
    const fn = () => 1
    expect(onCron('0 * * * *', fn)).toBe(fn)
    expect(registrationsOf(fn)).toEqual([{ declaration: { kind: 'cron', schedule: '0 * * * *' }, site: expect.objectContaining({ file: here }) }])
    expect(registrationsOf(() => 2)).toEqual([])
    expect(() => onCron('0 * * * *', 'nope' as never)).toThrow(TypeError)
  })

  test('fields and private methods are rejected when the class is defined', () => {
    const field = { kind: 'field', name: 'x', private: false } as unknown as ClassMethodDecoratorContext
    expect(() => onBlock({ every: 2 })((() => {}) as never, field)).toThrow('@onBlock decorates methods, not a field (x)')
    const priv = { kind: 'method', name: '#p', private: true } as unknown as ClassMethodDecoratorContext
    expect(() => onHttp({ method: 'GET', path: '/' })((() => {}) as never, priv)).toThrow('@onHttp cannot decorate the private method #p')
  })
})
