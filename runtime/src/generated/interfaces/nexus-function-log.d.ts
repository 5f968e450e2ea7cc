// Generated from protocol/wit/nexus.wit by runtime/scripts/generate-bindings.ts. Do not edit.
/** @module Interface nexus:function/log@0.1.0 **/
export function write(level: Level, message: string): void;
/**
 * # Variants
 * 
 * ## `"debug"`
 * 
 * ## `"info"`
 * 
 * ## `"warn"`
 * 
 * ## `"error"`
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
