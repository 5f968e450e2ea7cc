export { NexusError, toError, type NexusErrorParameters } from './errors/base.ts'
export * from './attest/index.ts'
export * from './decorators/index.ts'
export { configDefaults, defaultThreshold } from './config/index.ts'
