// What a zk declaration needs inside the deterministic runtime (QuickJS, no Node built-ins): the
// `zk(...)` declaration, input validation and the input error. Handler files import
// `@nexus/framework/zk`; the gateway's guest build aliases that to this file, so the component
// carries the pure mapping code and none of the verifier (snarkjs, viem, node:fs).
export { zk, isZkFunction, type ZkConfig, type ZkFunction, type DefaultZkOutput } from './declare.ts'
export {
  validateCircuitInputs,
  type CircuitInputs,
  type CircuitValue,
  type SignalSpec,
  type SignalSpecs,
  type SignalType,
} from './inputs.ts'
export { BN254_R, BN254_Q } from './constants.ts'
export { ZkInputError } from './errors.ts'
