// Generated from protocol/wit/nexus.wit by runtime/scripts/generate-bindings.ts. Do not edit.
/** @module Interface nexus:function/fs@0.1.0 **/
export function open(path: string, mode: OpenFlags): number;
export function read(fd: number, len: number): Uint8Array;
export function write(fd: number, data: Uint8Array): number;
export function seek(fd: number, offset: bigint): void;
export function close(fd: number): void;
export function stat(path: string): FileStat;
export function readdir(path: string): Array<string>;
export function mkdir(path: string): void;
export function unlink(path: string): void;
export function rename(src: string, dst: string): void;
export interface OpenFlags {
  read?: boolean,
  write?: boolean,
  create?: boolean,
  truncate?: boolean,
  append?: boolean,
  exclusive?: boolean,
}
/**
 * # Variants
 * 
 * ## `"not-found"`
 * 
 * ## `"exists"`
 * 
 * ## `"not-a-directory"`
 * 
 * ## `"is-a-directory"`
 * 
 * ## `"not-empty"`
 * 
 * ## `"invalid-path"`
 * 
 * ## `"bad-descriptor"`
 * 
 * ## `"too-large"`
 */
export type ErrorCode = 'not-found' | 'exists' | 'not-a-directory' | 'is-a-directory' | 'not-empty' | 'invalid-path' | 'bad-descriptor' | 'too-large';
/**
 * # Variants
 * 
 * ## `"file"`
 * 
 * ## `"directory"`
 */
export type EntryKind = 'file' | 'directory';
export interface FileStat {
  kind: EntryKind,
  size: bigint,
}
