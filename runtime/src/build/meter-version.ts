// Apart from meter.ts so that reading the version (manifests, artifacts, cache entry names) does not
// load binaryen: 15 MB of JavaScript a replica needs only when it compiles something new.

/**
 * Version of the metering scheme; part of the manifest because fuel figures are signed.
 * v2: bulk memory instructions pay per byte, host calls and storage per byte (sandbox/fuel-schedule.ts).
 */
export const METER_VERSION = 'nexus-fuel-v2'
