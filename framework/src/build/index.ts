// The build pipeline (Node only): `buildProject` for `nexus build` and `nexus dev`.
export { buildProject, loadConfig, type BuildProjectOptions, type BuiltProject, type BuiltFunction } from './project.ts'
export { collectFunctions, collectZkFunctions, type CollectedFunction, type CollectedZkFunction } from './collect.ts'
export { chainSpecs, triggerSpec, validateConfig } from './validate.ts'
export { ConfigLoadError, HandlerLoadError, TriggerValidationError } from './errors.ts'
