// Nexus Zero in the gateway. Its own entry point (not re-exported from @nexus/gateway) because it
// loads snarkjs and circom (GPL-3.0) through @nexus/circuits.
export { createZkService, type CreateZkServiceParameters, type ZkService, type ZkServiceFunction } from './service.ts'
export { createZkRoutes, type CreateZkRoutesParameters } from './routes.ts'
export { createZkGuest, type ZkGuest, type ZkGuestFunction, type CreateZkGuestParameters } from './guest.ts'
export { buildZkGuest, bundleZkGuest, type BuildZkGuestParameters } from './guest-build.ts'
export { guestEntrySource, type GuestReply, type GuestFunction, type GuestError } from './guest-entry.ts'
export { ZkGuestBuildError, ZkConfigError, ZkOutputError } from './errors.ts'
