// Generated from protocol/wit/nexus.wit by runtime/scripts/generate-bindings.ts. Do not edit.
/** @module Interface nexus:function/kv@0.1.0 **/
export function get(key: string): Uint8Array | undefined;
export function set(key: string, value: Uint8Array): void;
export { _delete as delete };
function _delete(key: string): boolean;
export function scan(prefix: string, startAfter: string | undefined, limit: number): Array<[string, Uint8Array]>;
