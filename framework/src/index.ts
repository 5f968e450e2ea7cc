export { NexusError, toError, type NexusErrorParameters } from './errors/base.ts'
