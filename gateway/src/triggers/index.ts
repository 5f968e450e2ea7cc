// Ethereum trigger service: follows chains, delivers final events and blocks to functions.
export { createTriggerService, type TriggerService, type CreateTriggerServiceParameters } from './service.ts'
export { createChainRpc, isRangeError, isTransientError, type ChainRpc, type BlockHeader, type RpcLog, type LogFilter } from './rpc.ts'
export { createFollower, type Follower } from './follower.ts'
export { appendChainInvocation, type Sink, type LogSink, type BlockSink } from './sinks.ts'
export { ChainConfigError, LogRangeError, RpcUnavailableError, StaleViewError } from './errors.ts'
export { createChainServices, type ChainServices } from './chain-services.ts'
