// Generated from protocol/wit/nexus.wit by runtime/scripts/generate-bindings.ts. Do not edit.
/** @module Interface nexus:function/crypto@0.1.0 **/
export function keccak256(data: Uint8Array): Uint8Array;
