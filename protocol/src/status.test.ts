import { describe, expect, test } from 'vitest'
import { STATUS_NAMES, Status, isStatusCode, statusName } from './status.ts'

describe('status codes', () => {
  test('each code has its API name, and only the four codes are codes', () => {
    expect(Object.values(Status)).toEqual([0, 1, 2, 3])
    expect(STATUS_NAMES.map((_, code) => statusName(code))).toEqual(['ok', 'handler_error', 'out_of_fuel', 'out_of_memory'])
    expect(statusName(Status.outOfFuel)).toBe('out_of_fuel')
    for (const bad of [-1, 4, 1.5, '1', null, undefined]) expect(isStatusCode(bad)).toBe(false)
    expect(statusName(4)).toBeUndefined()
  })
})
