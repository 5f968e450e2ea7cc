export { NexusError, toError, type NexusErrorParameters } from '@nexus/protocol'
export * from '@nexus/protocol/attest'
export * from './decorators/index.ts'
export { configDefaults, defaultThreshold } from './config/index.ts'
