// One invocation inside the worker: bind, meter, call, classify the outcome into a protocol
// status. Everything here must give the same answer on every replica for the same inputs.
import { createInstance, type CompiledComponent, type LiveInstance } from './instance-pool.ts'
import { InvocationContext, type InvocationInfo, type LogLine } from './invocation-context.ts'
import type { Reader, WriteSet } from './overlay.ts'
import { GuestFault } from './faults.ts'
import type { Limits } from './limits.ts'
// The subpath, not the root: the sandbox worker's bundle inlines it and must pull in nothing else (worker-bundle.ts).
import { Status, type StatusCode } from '@nexus/protocol/status'

export type InvocationOutcome = {
  status: StatusCode
  output: Uint8Array
  /** Error text for statuses 1–3 (also the output bytes, UTF-8, so it is covered by the digest). */
  error?: string
  fuelUsed: bigint
  writes: WriteSet
  logs: LogLine[]
}

export class ComponentRunner {
  private idle: LiveInstance | undefined
  /** Instances built so far (≈ 10 ms each; a reset is ≈ 0.2 ms): reuse is visible to tests and benches. */
  instancesCreated = 0
  constructor(private readonly component: CompiledComponent) {}

  /** Bytes the idle instance keeps (memories + pristine snapshot); 0 when none is kept. */
  retainedBytes(): number {
    return this.idle?.retainedBytes() ?? 0
  }

  /**
   * Makes the instance the next run resets instead of instantiating (a deploy, ahead of the first
   * invocation). Instantiation runs the component's start under INIT_FUEL (instance-pool.ts), as
   * the first run's would: nothing the guest sees differs.
   */
  prepare(): void {
    this.idle ??= this.instantiate()
  }

  private instantiate(): LiveInstance {
    const instance = createInstance(this.component)
    this.instancesCreated++
    return instance
  }

  /** `reuse: false` instantiates from scratch every time (used to prove reset ≡ fresh). */
  run(info: InvocationInfo, input: Uint8Array, limits: Limits, read: Reader, reuse = true): InvocationOutcome {
    const instance = (reuse ? this.idle : undefined) ?? this.instantiate()
    this.idle = undefined
    const fuelLimit = BigInt(limits.fuel)
    instance.fuel.value = fuelLimit
    const ctx = new InvocationContext(info, limits, read, instance.fuel)
    instance.bind(ctx)
    let status: StatusCode = Status.ok
    let output: Uint8Array = new Uint8Array(0)
    let error: string | undefined
    let reusable = true
    try {
      output = instance.root.handle(input)
      if (output.length > limits.maxOutputBytes) {
        status = Status.handlerError
        error = `output larger than ${limits.maxOutputBytes} bytes`
      }
    } catch (thrown) {
      ;({ status, error } = classify(thrown, instance))
      // A guest `err` result leaves the instance healthy; a trap or host fault may not.
      reusable = isGuestError(thrown)
    }
    const left = instance.fuel.value as bigint
    const fuelUsed = left < 0n ? fuelLimit : fuelLimit - left
    if (reusable && instance.reset()) this.idle = instance
    if (status !== Status.ok) output = new TextEncoder().encode(error ?? 'error')
    return {
      status,
      output,
      error,
      fuelUsed,
      writes: status === Status.ok ? ctx.overlay.writeSet() : { kv: [], files: [] },
      logs: ctx.logs.result(),
    }
  }
}

/**
 * The guest returned `err` (jco throws its generated `ComponentError` with the payload). That class
 * keeps Error's `name` ('Error'), so it is recognised by its constructor: checking `name` made every
 * handler error rebuild the instance (≈ 10 ms instead of a ≈ 0.2 ms reset).
 */
export function isGuestError(thrown: unknown): boolean {
  return (
    typeof thrown === 'object' &&
    thrown !== null &&
    'payload' in thrown &&
    (thrown as { constructor?: { name?: string } }).constructor?.name === 'ComponentError'
  )
}

function classify(thrown: unknown, instance: LiveInstance): { status: StatusCode; error: string } {
  if (thrown instanceof GuestFault) return { status: thrown.status, error: thrown.message }
  if ((instance.fuel.value as bigint) < 0n) return { status: Status.outOfFuel, error: 'out of fuel' }
  const message = isGuestError(thrown)
    ? String((thrown as { payload?: unknown }).payload ?? thrown)
    : thrown instanceof WebAssembly.RuntimeError
      ? `trap: ${thrown.message}`
      : thrown instanceof Error
        ? thrown.message
        : String(thrown)
  // A too-deep recursion: the guest's stack ran out (deterministic, see GUEST_NATIVE_STACK_MB).
  if (thrown instanceof WebAssembly.RuntimeError && /out of bounds/.test(thrown.message) && instance.stackOverflowed())
    return { status: Status.handlerError, error: 'Maximum call stack size exceeded' }
  // QuickJS reports a refused memory.grow as "out of memory"; the cap makes that deterministic.
  if (/out of memory/i.test(message)) return { status: Status.outOfMemory, error: 'out of memory' }
  return { status: Status.handlerError, error: message }
}
