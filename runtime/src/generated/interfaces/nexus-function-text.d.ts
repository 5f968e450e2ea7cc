// Generated from protocol/wit/nexus.wit by runtime/scripts/generate-bindings.ts. Do not edit.
/** @module Interface nexus:function/text@0.1.0 **/
export function utf8Encode(text: string): Uint8Array;
export function utf8Decode(bytes: Uint8Array): string;
