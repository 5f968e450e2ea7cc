// @nexus/protocol — the facts every Nexus package shares, written once. This root entry holds no
// curve code and no Node built-ins, so a handler bundle that imports one name from it stays small;
// BLS attestation is `@nexus/protocol/attest`, the WIT world's folder is `@nexus/protocol/wit`.
export { NexusError, toError, type NexusErrorParameters } from './errors/base.ts'
export {
  errorAnswer,
  errorBody,
  errorBoundary,
  errorResponse,
  errorStatus,
  isInternalError,
  type ErrorAnswer,
  type ErrorBody,
  type ErrorBoundaryOptions,
} from './errors/http.ts'
export { keccak256, keccak256Bytes, keccakEngine } from './hash/keccak.ts'
export { bytesHex } from './hex.ts'
export { abiWords, putAddress, putBytes32, putUint } from './hash/abi-words.ts'
export { findRoute, matchRoute, routePatternProblem, selectRoute } from './route.ts'
export {
  FUNCTION_ID,
  InvalidManifestError,
  LIMIT_RANGES,
  checkManifest,
  sameManifest,
  type Limits,
  type Manifest,
  type ManifestExpectations,
} from './manifest.ts'
export {
  executeBatchRequestJson,
  executedBatchJson,
  executedResultJson,
  executeRequestJson,
  parseExecuteBatchRequest,
  parseExecutedBatch,
  parseExecutedResult,
  parseExecuteRequest,
  parseVersions,
  versionsJson,
  type ExecuteRequest,
  type ExecuteRequestJson,
  type ExecutedBatch,
  type ExecutedBatchJson,
  type ExecutedResult,
  type ExecutedResultJson,
  type FunctionVersion,
  type FunctionVersionJson,
  type LogLine,
  type LoggedExecuteRequest,
  type ReplicaResult,
  type ResultShare,
} from './replica-wire.ts'
export { STATUS_NAMES, Status, isStatusCode, statusName, type StatusCode, type StatusName } from './status.ts'
export {
  manifestTriggers,
  type BlockTriggerSpec,
  type ChainSpec,
  type CronTriggerSpec,
  type EventTriggerSpec,
  type Finality,
  type RouteTriggerSpec,
  type TriggerSpec,
} from './triggers/spec.ts'
export {
  decodeTriggerPayload,
  encodeTriggerPayload,
  triggerIdempotencyKey,
  type BlockPayload,
  type CronPayload,
  type EventPayload,
  type RoutePayload,
  type TriggerKind,
  type TriggerPayload,
} from './triggers/payload.ts'
export {
  decodeEventLogArgs,
  eventArgs,
  eventPayloadArgs,
  reviveEventArgs,
  type EventArgJson,
  type EventArgsJson,
} from './triggers/event-args.ts'
export { isForwardedRouteHeader, routeRequestHeaders, type HeadersLike } from './triggers/route-headers.ts'
export { BadRequestError } from './errors/bad-request.ts'
