// V8 runs a WebAssembly function first as baseline code (Liftoff) and compiles it again with its
// optimising compiler (TurboFan, on background threads) once it has used up its tiering budget, a
// rough count of bytes executed. Opening a database runs a great deal of PGlite's code a few times
// each: at V8's default budget much of it was optimised during the start, ≈ 0.4 s of CPU per
// process that started nothing sooner (measured: one replica 1.5 s of CPU to listening, 1.0 s with
// a 10× budget; four at once on two cores 2.8–3.0 s → 2.1–2.4 s). A larger budget during the start,
// V8's own afterwards: functions that stay hot are still optimised, a little later.
import { setFlagsFromString } from 'node:v8'

/** V8's default `--wasm-tiering-budget` (Node 20–24: `node --v8-options`). */
const V8_DEFAULT_BUDGET = 1_800_000
const STARTUP_FACTOR = 10

/** True when the process was started with its own tiering budget (`node --wasm-tiering-budget=…`; Node refuses it in NODE_OPTIONS): that one is left alone. */
const budgetGiven = () => process.execArgv.some((arg) => arg.includes('wasm-tiering-budget'))

/**
 * Raises the tiering budget for what the process compiles and instantiates from now on; the
 * returned function puts V8's default back (call it once the process is ready). Instances made
 * meanwhile keep the larger budget until a function first spends it. Flags are process-wide: worker
 * threads see the same budget.
 */
export function deferWasmTierUp(): () => void {
  if (budgetGiven()) return () => {}
  setFlagsFromString(`--wasm-tiering-budget=${V8_DEFAULT_BUDGET * STARTUP_FACTOR}`)
  let restored = false
  return () => {
    if (restored) return
    restored = true
    setFlagsFromString(`--wasm-tiering-budget=${V8_DEFAULT_BUDGET}`)
  }
}
