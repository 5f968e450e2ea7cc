// Generated from protocol/wit/nexus.wit by runtime/scripts/generate-bindings.ts. Do not edit.
// world root:component/root
import type * as NexusFunctionChain from './interfaces/nexus-function-chain.js'; // nexus:function/chain@0.1.0
import type * as NexusFunctionCrypto from './interfaces/nexus-function-crypto.js'; // nexus:function/crypto@0.1.0
import type * as NexusFunctionEnv from './interfaces/nexus-function-env.js'; // nexus:function/env@0.1.0
import type * as NexusFunctionFs from './interfaces/nexus-function-fs.js'; // nexus:function/fs@0.1.0
import type * as NexusFunctionKv from './interfaces/nexus-function-kv.js'; // nexus:function/kv@0.1.0
import type * as NexusFunctionLog from './interfaces/nexus-function-log.js'; // nexus:function/log@0.1.0
import type * as NexusFunctionText from './interfaces/nexus-function-text.js'; // nexus:function/text@0.1.0
export interface ImportObject {
  'nexus:function/chain@0.1.0': typeof NexusFunctionChain,
  'nexus:function/crypto@0.1.0': typeof NexusFunctionCrypto,
  'nexus:function/env@0.1.0': typeof NexusFunctionEnv,
  'nexus:function/fs@0.1.0': typeof NexusFunctionFs,
  'nexus:function/kv@0.1.0': typeof NexusFunctionKv,
  'nexus:function/log@0.1.0': typeof NexusFunctionLog,
  'nexus:function/text@0.1.0': typeof NexusFunctionText,
}
export interface Root {
  init(shim: string, script: string, entryPath: string | undefined, disableGc: boolean): void,
  handle(input: Uint8Array): Uint8Array,
}
export type Option<T> = { tag: 'none' } | { tag: 'some', val: T };
export type Result<T, E> = { tag: 'ok', val: T } | { tag: 'err', val: E };

/**
* Instantiates this component with the provided imports and
* returns a map of all the exports of the component.
*
* This function is intended to be similar to the
* `WebAssembly.Instantiate` constructor. The second `imports`
* argument is the "import object" for wasm, except here it
* uses component-model-layer types instead of core wasm
* integers/numbers/etc.
*
* The first argument to this function, `getCoreModule`, is
* used to compile core wasm modules within the component.
* Components are composed of core wasm modules and this callback
* will be invoked per core wasm module. The caller of this
* function is responsible for reading the core wasm module
* identified by `path` and returning its compiled
* `WebAssembly.Module` object. This would use the
* `WebAssembly.Module` constructor on the web, for example.
*/
export function instantiate(
getCoreModule: (path: string) => WebAssembly.Module,
imports: ImportObject,
instantiateCore?: (module: WebAssembly.Module, imports: Record<string, any>) => WebAssembly.Instance
): Root;

