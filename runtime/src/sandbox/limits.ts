import type { Limits } from '@nexus/protocol'

// The limits' meaning is the protocol's (part of the manifest); their defaults are the runtime's.
export type { Limits }

export const defaultLimits: Limits = {
  fuel: 50_000_000,
  memoryPages: 2048,
  maxValueBytes: 1 << 20,
  maxFileBytes: 16 << 20,
  maxKeyBytes: 1024,
  maxOutputBytes: 4 << 20,
  maxWriteKeys: 256,
  maxWriteBytes: 32 << 20,
}

/** A manifest's limits with the defaults filled in for what it does not name (manifests older than maxWriteKeys/maxWriteBytes). */
export function withDefaultLimits(limits: Partial<Limits> | undefined): Limits {
  return { ...defaultLimits, ...limits }
}

export { hostCallCost } from './fuel-schedule.ts'
