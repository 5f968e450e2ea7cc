/**
 * Version of the metering scheme (meter.ts); part of the manifest because fuel figures are signed.
 * v2: bulk memory instructions pay per byte, host calls and storage per byte (sandbox/fuel-schedule.ts).
 */
export const METER_VERSION = 'nexus-fuel-v2'

/**
 * Names how the metered modules are built when that changes without changing any fuel figure
 * (so not METER_VERSION, which manifests carry): part of the compile cache's folder names, so a
 * cache made by an older build is not reused. i30: small functions inlined (meter.ts).
 */
export const METER_BUILD = 'i30'
