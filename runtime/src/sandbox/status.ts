/** Result status codes of protocol v1 (part of the signed digest). */
export const Status = { ok: 0, handlerError: 1, outOfFuel: 2, outOfMemory: 3 } as const
export type StatusCode = (typeof Status)[keyof typeof Status]
