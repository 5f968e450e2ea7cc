// Result status codes (docs/protocol.md §1): the number is part of the signed digest (a uint8 the
// Solidity verifier range-checks), the name is what the gateway's API and metrics show. Both are
// written here once; the sandbox sets the codes, the gateway names them.

/** The status of a result, by meaning. */
export const Status = { ok: 0, handlerError: 1, outOfFuel: 2, outOfMemory: 3 } as const
export type StatusCode = (typeof Status)[keyof typeof Status]

/** The API name of each status, indexed by its code. */
export const STATUS_NAMES = ['ok', 'handler_error', 'out_of_fuel', 'out_of_memory'] as const
export type StatusName = (typeof STATUS_NAMES)[number]

/** Whether `value` is one of the status codes a result may carry. */
export function isStatusCode(value: unknown): value is StatusCode {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < STATUS_NAMES.length
}

/**
 * The API name of a status code, or undefined for a number that is not one.
 * @example statusName(Status.outOfFuel) // 'out_of_fuel'
 */
export function statusName(code: number): StatusName | undefined {
  return isStatusCode(code) ? STATUS_NAMES[code] : undefined
}
