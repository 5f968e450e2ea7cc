export { buildHandler, manifestFor, codeHashOf, type Artifact, type Manifest } from './build/artifact.ts'
export { compileComponent } from './build/compile.ts'
export { BuildError, InvalidArtifactError } from './build/errors.ts'
export { createReplica, type Replica, type ReplicaOptions, type ExecuteRequest, type ExecutedResult, type StateRead } from './replica/replica.ts'
export { createReplicaApp } from './replica/app.ts'
export { createReplicaServer } from './replica/server.ts'
export { processMemorySamples, replicaMetrics } from './replica/metrics.ts'
export { prebundleWorkers } from './replica/prebundle.ts'
export { deferWasmTierUp } from './replica/startup-tiering.ts'
export { bundleProcessEntry } from './build/process-bundle.ts'
export { nexusCacheDir } from './build/cache-dir.ts'
export { SeqGapError, SeqMismatchError, UnknownCodeError } from './replica/errors.ts'
export { defaultLimits, type Limits } from './sandbox/limits.ts'
export { Status, type StatusCode } from '@nexus/protocol'
export {
  verifyProof as verifyStateProof,
  stateProofFromHex,
  treeKey,
  leafHash,
  kvValueHash,
  fileValueHash,
  type StateProof,
  type HexStateProof,
} from './store/state-root.ts'
export { createSandbox, SandboxError, type Sandbox, type ExecuteParameters } from './sandbox/sandbox.ts'
export { loadCompiled } from './sandbox/load-compiled.ts'
export { ComponentRunner } from './sandbox/run-invocation.ts'
export { GATEWAY_KEY_ENV, loadGatewayKey, signRequest } from './replica/gateway-auth.ts'
