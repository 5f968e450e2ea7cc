/**
 * Version of the metering scheme (meter.ts); part of the manifest because fuel figures are signed.
 * v2: bulk memory instructions pay per byte, host calls and storage per byte (sandbox/fuel-schedule.ts).
 */
export const METER_VERSION = 'nexus-fuel-v2'
