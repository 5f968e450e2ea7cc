/** Per-invocation limits. Every number here changes results, so it is part of the function's manifest. */
export type Limits = {
  /** Fuel units: one per function entry or loop iteration, plus host-call charges. Default: 50_000_000. */
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
}

export const defaultLimits: Limits = {
  fuel: 50_000_000,
  memoryPages: 2048,
  maxValueBytes: 1 << 20,
  maxFileBytes: 16 << 20,
  maxKeyBytes: 1024,
  maxOutputBytes: 4 << 20,
}

/** Fuel charged for host calls: a fixed cost plus one unit per 64 bytes moved. */
export function hostCallCost(bytes: number): number {
  return 100 + Math.ceil(bytes / 64)
}
