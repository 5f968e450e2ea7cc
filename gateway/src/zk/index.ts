// Nexus Zero in the gateway. Its own entry point (not re-exported from @nexus/gateway) because it
// loads snarkjs and circom (GPL-3.0) through @nexus/circuits.
export { createZkService, type CreateZkServiceParameters, type ZkService, type ZkServiceFunction } from './service.ts'
export { createZkRoutes, type CreateZkRoutesParameters } from './routes.ts'
export { createSandboxedInputMapper, type SandboxedInputMapper, type CreateSandboxedInputMapperParameters } from './sandboxed-inputs.ts'
export { buildZkGuest, bundleZkGuest, type BuildZkGuestParameters } from './guest-build.ts'
export { guestEntrySource, type GuestReply } from './guest-entry.ts'
export { ZkGuestBuildError, ZkConfigError } from './errors.ts'
