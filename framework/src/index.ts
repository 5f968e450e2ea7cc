export { NexusError, toError, type NexusErrorParameters } from './errors/base.ts'
export * from './attest/index.ts'
