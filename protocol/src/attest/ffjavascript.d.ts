// Minimal typings for the parts of ffjavascript 0.3 (snarkjs's curve engine) that Nexus uses; the
// package ships none. Points are byte buffers in the engine's own (Montgomery, Jacobian) form.
declare module 'ffjavascript' {
  export type WasmG1 = {
    fromRprUncompressed(bytes: Uint8Array, offset: number): Uint8Array
    toRprUncompressed(out: Uint8Array, offset: number, point: Uint8Array): void
    timesScalar(point: Uint8Array, scalarLittleEndian: Uint8Array): Uint8Array
    toAffine(point: Uint8Array): Uint8Array
    isZero(point: Uint8Array): boolean
    toJacobian(point: Uint8Array): Uint8Array
  }
  /** G2 points: 192-byte uncompressed Zcash encoding in, the engine's form out (as WasmG1). */
  export type WasmG2 = {
    fromRprUncompressed(bytes: Uint8Array, offset: number): Uint8Array
    toJacobian(point: Uint8Array): Uint8Array
  }
  /** The pairing's target group: elements of Fp12 in the engine's form. */
  export type WasmGt = { one: Uint8Array; mul(a: Uint8Array, b: Uint8Array): Uint8Array; eq(a: Uint8Array, b: Uint8Array): boolean }
  /** Base-field elements as 48-byte little-endian buffers, in Montgomery form between the two conversions. */
  export type WasmF1 = {
    toMontgomery(littleEndian: Uint8Array): Uint8Array
    fromMontgomery(element: Uint8Array): Uint8Array
    exp(element: Uint8Array, exponentLittleEndian: Uint8Array): Uint8Array
    inv(element: Uint8Array): Uint8Array
  }
  export type WasmBls12381 = {
    G1: WasmG1
    G2: WasmG2
    F1: WasmF1
    Gt: WasmGt
    /** Miller-loop inputs from Jacobian points (a G2 point's lines can be kept and reused). */
    prepareG1(point: Uint8Array): Uint8Array
    prepareG2(point: Uint8Array): Uint8Array
    millerLoop(preparedG1: Uint8Array, preparedG2: Uint8Array): Uint8Array
    finalExponentiation(element: Uint8Array): Uint8Array
    terminate(): Promise<void>
  }
  /** `singleThread`: no worker threads (one multiplication at a time needs none). */
  export function buildBls12381(singleThread?: boolean): Promise<WasmBls12381>
}
