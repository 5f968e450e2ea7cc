// Keeps, per code hash, the compiled core modules and one pristine instance. Instantiating a
// QuickJS component costs ~6 ms (the engine initialises inside the instance); restoring its
// memories and globals to the bytes they had right after instantiation costs far less and is
// indistinguishable to the guest, so that is what "a fresh instance per invocation" means here.
import { FUEL_IMPORT } from '../build/fuel-import.ts'
import { createHostImports } from './host-imports.ts'
import type { InvocationContext } from './invocation-context.ts'

type Root = { handle(input: Uint8Array): Uint8Array }
type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (module: WebAssembly.Module, imports: Record<string, unknown>) => WebAssembly.Instance,
) => Root

export type CompiledComponent = {
  instantiate: Instantiate
  modules: Map<string, WebAssembly.Module>
  /** Size of the core modules' wasm: what a cache accounts the compiled modules at. */
  wasmBytes: number
}

/** A memory's pristine bytes, and its runs of whole 64 KiB pages that are all zero there. */
type MemorySnapshot = { memory: WebAssembly.Memory; bytes: Uint8Array; zeroRuns: [start: number, end: number][] }
type Snapshot = { memories: MemorySnapshot[]; globals: [WebAssembly.Global, unknown][] }

export type LiveInstance = {
  root: Root
  fuel: WebAssembly.Global
  memories: WebAssembly.Memory[]
  bind(ctx: InvocationContext): void
  /**
   * After a trap: whether a guest stack pointer ran below zero, i.e. the guest's shadow stack
   * overflowed (its linear-memory stack sits below the data, so the next store is out of bounds).
   */
  stackOverflowed(): boolean
  /** Restores the pristine state; false when that is impossible (memory grew) and the instance must go. */
  reset(): boolean
  /** Bytes this instance keeps: its memories and their pristine snapshot. */
  retainedBytes(): number
}

const INIT_FUEL = 2n ** 62n

export function createInstance(component: CompiledComponent): LiveInstance {
  let ctx: InvocationContext | undefined
  const current = () => {
    if (!ctx) throw new Error('host import called outside an invocation')
    return ctx
  }
  const fuel = new WebAssembly.Global({ value: 'i64', mutable: true }, INIT_FUEL)
  const instances: WebAssembly.Instance[] = []
  const root = component.instantiate(
    (name) => {
      const module = component.modules.get(name)
      if (!module) throw new Error(`component has no core module ${name}`)
      return module
    },
    createHostImports(current),
    (module, imports) => {
      const wantsFuel = WebAssembly.Module.imports(module).some((i) => i.module === FUEL_IMPORT.module)
      const instance = new WebAssembly.Instance(
        module,
        (wantsFuel ? { ...imports, [FUEL_IMPORT.module]: { [FUEL_IMPORT.name]: fuel } } : imports) as WebAssembly.Imports,
      )
      instances.push(instance)
      return instance
    },
  )
  const snapshot = takeSnapshot(instances)
  return {
    root,
    fuel,
    memories: snapshot.memories.map((m) => m.memory),
    bind(next) {
      ctx = next
    },
    stackOverflowed() {
      // Stack pointers are the i32 globals that start positive (the top of the stack) and only move down.
      return snapshot.globals.some(([global, initial]) => typeof initial === 'number' && initial > 0 && (global.value as number) < 0)
    },
    reset() {
      ctx = undefined
      for (const { memory, bytes, zeroRuns } of snapshot.memories) {
        if (memory.buffer.byteLength !== bytes.length) return false
        restore(new Uint8Array(memory.buffer), bytes, zeroRuns)
      }
      for (const [global, value] of snapshot.globals) global.value = value
      return true
    },
    retainedBytes() {
      let sum = 0
      for (const { memory, bytes } of snapshot.memories) sum += memory.buffer.byteLength + bytes.length
      return sum
    },
  }
}

function takeSnapshot(instances: WebAssembly.Instance[]): Snapshot {
  const memories = new Map<WebAssembly.Memory, MemorySnapshot>()
  const globals = new Map<WebAssembly.Global, unknown>()
  for (const instance of instances) {
    for (const value of Object.values(instance.exports)) {
      if (value instanceof WebAssembly.Memory && !memories.has(value)) {
        const bytes = new Uint8Array(value.buffer).slice()
        memories.set(value, { memory: value, bytes, zeroRuns: zeroPageRuns(bytes) })
      }
      if (value instanceof WebAssembly.Global && !globals.has(value) && isMutable(value)) globals.set(value, value.value)
    }
  }
  return { memories: [...memories.values()], globals: [...globals] }
}

const PAGE = 65536

/** Runs of whole wasm pages that are all zero (the heap the engine reserved and has not used yet). */
function zeroPageRuns(bytes: Uint8Array): [number, number][] {
  const runs: [number, number][] = []
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2)
  for (let page = 0; page * PAGE < bytes.length; page++) {
    let zero = true
    for (let w = (page * PAGE) >> 2, end = ((page + 1) * PAGE) >> 2; w < end && zero; w++) zero = words[w] === 0
    if (!zero) continue
    const last = runs.at(-1)
    if (last && last[1] === page * PAGE) last[1] += PAGE
    else runs.push([page * PAGE, (page + 1) * PAGE])
  }
  return runs
}

/**
 * Puts `pristine` back into `view`. Pages that were all zero are zeroed rather than copied: writing
 * zeros reads nothing, ≈ 25 % less time for a QuickJS instance (15 of its 36 pages).
 */
function restore(view: Uint8Array, pristine: Uint8Array, zeroRuns: [number, number][]) {
  let at = 0
  for (const [start, end] of zeroRuns) {
    if (start > at) view.set(pristine.subarray(at, start), at)
    view.fill(0, start, end)
    at = end
  }
  if (at < pristine.length) view.set(pristine.subarray(at), at)
}

function isMutable(global: WebAssembly.Global): boolean {
  try {
    // biome-ignore lint/correctness/noSelfAssign: writing a global is the only test of whether it is mutable
    global.value = global.value
    return true
  } catch {
    return false
  }
}
