// What each kind of work costs in fuel. Fuel is the only clock a replica may use (it is the same on
// every replica), so every price here is set so that a unit of fuel costs at least as much wall time
// in that operation as it does in ordinary guest code: then the fuel limit bounds the wall time of
// the whole invocation, whatever mix of work it does. Calibration (docs/runtime.md, "Fuel schedule"):
// ordinary QuickJS code runs ≈ 15–20 ns per unit on the dev machine; the per-byte prices below were
// measured at the same rate and rounded towards the expensive side. Every number changes results
// (fuelUsed is signed), so changing one means bumping METER_VERSION.

/** Bytes a memory.copy / memory.fill / memory.init moves per unit (≈ 0.3 ns/byte measured; 4× margin). A power of two. */
export const BULK_BYTES_PER_FUEL = 16

/** Fixed price of every host call (crossing the component boundary, lifting and lowering): `env.now()` and `kv.get` in a loop measured up to ≈ 2× ordinary code per unit at 100, ≈ 1.3–2× at 300. */
export const HOST_CALL_FUEL = 500

/** Bytes moved across the boundary (arguments and results of host calls) per unit. */
export const HOST_BYTES_PER_FUEL = 16

/** Units per byte of `env.randomBytes` output: one SHA-256 per 32 bytes, ≈ 140 units' worth of time per block measured. */
export const RANDOM_FUEL_PER_BYTE = 12

/** Units per byte read from committed storage (a KV value or a whole file crossing the sync channel). */
export const STORAGE_READ_BYTES_PER_FUEL = 4

/**
 * Units per distinct key or path an invocation writes: its commit updates the state tree (≈ 256
 * hashed levels) and the store, measured ≈ 4 ms per key with PGlite on the dev machine.
 */
export const WRITE_KEY_FUEL = 100_000

/** Units per byte written (KV values, file bytes): the commit hashes and stores them, ≈ 30 ns/byte measured. */
export const WRITE_FUEL_PER_BYTE = 1

/**
 * Units per keccak-256 block of `crypto.keccak256` input (136 bytes; padding adds a block when the
 * input fills the last one). The host hashes with noble (plain JS, no WebAssembly engine to load in
 * the worker): ≈ 5 µs per block measured on the 2-core machine under load ≈ 7 at low priority,
 * ≈ 2 µs expected idle; 200 units are 3.6 µs at the idle rate of guest code (18 ns/unit). The same
 * block costs the interpreted noble in the guest ≈ 230,000 units. Priced before hashing. Added
 * without a METER_VERSION bump: no component built before could call it, so no fuel figure changed.
 */
export const KECCAK_FUEL_PER_BLOCK = 200

/** keccak-256's rate in bytes: the input is absorbed in blocks of this size. */
export const KECCAK_BLOCK_BYTES = 136

/** Price of `crypto.keccak256` over `bytes` of input: the host call (input in, 32 bytes out) and every block it absorbs. */
export function keccakCost(bytes: number): number {
  return hostCallCost(bytes + 32) + KECCAK_FUEL_PER_BLOCK * (Math.floor(bytes / KECCAK_BLOCK_BYTES) + 1)
}

/** Price of a host call that moves `bytes` across the boundary. */
export function hostCallCost(bytes: number): number {
  return HOST_CALL_FUEL + Math.ceil(bytes / HOST_BYTES_PER_FUEL)
}
