// Generated from protocol/wit/nexus.wit by runtime/scripts/generate-bindings.ts. Do not edit.
/** @module Interface nexus:function/env@0.1.0 **/
export function now(): bigint;
export function randomBytes(len: number): Uint8Array;
export function invocation(): InvocationInfo;
export interface InvocationInfo {
  functionId: string,
  seq: bigint,
  trigger: string,
  chainId: bigint,
  blockNumber: bigint,
}
