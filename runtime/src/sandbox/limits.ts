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

/**
 * Native stack of the sandbox worker thread, MiB. Every guest call also takes a frame on V8's native
 * stack, whose size depends on the tier (Liftoff or TurboFan) that compiled the function by then,
 * so an overflow there comes at a depth, and after an amount of fuel, that differs from run to run.
 * The guest's own stack (the JS engine's shadow stack in linear memory) is the same on every
 * replica; with a native stack this large a too-deep recursion always exhausts that one first
 * (measured: deep JSON nesting overflowed V8's stack first at 4 MiB, Node's default, and the
 * guest's at 64 MiB, at the same fuel every run). Pages are committed only when touched.
 */
export const GUEST_NATIVE_STACK_MB = 64

/** A manifest's limits with the defaults filled in for what it does not name (manifests older than maxWriteKeys/maxWriteBytes). */
export function withDefaultLimits(limits: Partial<Limits> | undefined): Limits {
  return { ...defaultLimits, ...limits }
}

export { hostCallCost } from './fuel-schedule.ts'
