// Generated from protocol/wit/nexus.wit by runtime/scripts/generate-bindings.ts. Do not edit.
/** @module Interface nexus:function/chain@0.1.0 **/
export function call(to: string, data: string): string;
export function getBalance(address: string): string;
export function getLogs(filterJson: string): string;
