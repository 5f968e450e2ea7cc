// Types of the host interfaces this example imports (the WIT world in protocol/wit/nexus.wit).
declare module 'nexus:function/kv@0.1.0' {
  export function get(key: string): Uint8Array | undefined
  export function set(key: string, value: Uint8Array): void
}
declare module 'nexus:function/env@0.1.0' {
  export function invocation(): { functionId: string; seq: bigint; trigger: string }
}
