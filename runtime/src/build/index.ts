// `@nexus/runtime/build`: turning a handler into a metered component and its manifest (used by the
// project build, the gateway's deploy check and its zk guests).
export { manifestFor } from './artifact.ts'
export { nexusCacheDir } from './cache-dir.ts'
export { bundleGuestSource, bundleHandler, releaseBundler, sourceConditions } from './bundle.ts'
export { guestBundlerFingerprint, sourcesFingerprint } from './bundler-fingerprint.ts'
export { checkComponent } from './check-component.ts'
export { cachedComponent, sharedBuildCache, type CachedComponentOptions } from './component-cache.ts'
export { guestPrelude } from './guest-prelude.ts'
export { InvalidManifestError, parseManifest, sameManifest } from './manifest.ts'
