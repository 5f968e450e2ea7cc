/** Per-invocation limits. Every number here changes results, so it is part of the function's manifest. */
export type Limits = {
  /** Fuel units: one per function entry or loop iteration, plus bulk-memory, host-call and storage charges (fuel-schedule.ts). Default: 50_000_000. */
  fuel: number
  /** Linear memory cap in 64 KiB pages. Default: 2048 (128 MiB). */
  memoryPages: number
  /** Largest KV value. Default: 1 MiB. */
  maxValueBytes: number
  /** Largest file. Default: 16 MiB. */
  maxFileBytes: number
  /** Largest key or path, in UTF-8 bytes. Default: 1024. */
  maxKeyBytes: number
  /** Largest output. Default: 4 MiB. */
  maxOutputBytes: number
  /** Most distinct KV keys and file paths one invocation may write (set, delete, create, change). Default: 256. */
  maxWriteKeys: number
  /** Most bytes one invocation may write: every KV key and value set, every byte written to a file and, once per file changed, its size before the change (the commit stores the whole file), summed. Default: 32 MiB. */
  maxWriteBytes: number
}

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
