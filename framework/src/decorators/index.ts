// What handler files import: `@nexus/framework/decorators`. Safe to load in Node and inside a
// component (no host imports, no Node APIs).
export { onEvent, onBlock, onHttp, onCron, type EventSpec, type BlockSpec, type HttpSpec, type TriggerDecorator } from './triggers.ts'
export { registrationsOf, type Declaration, type Registration, type SourceSite } from './registry.ts'
export { defineConfig, type NexusConfig, type ChainConfig, type ContractConfig, type StorageConfig } from '../config/define.ts'
export type * from '../context/types.ts'
export { FsError, type FsErrorKind } from '../context/fs-error.ts'
