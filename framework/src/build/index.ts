// The build pipeline (Node only): `buildProject` for `nexus build` and `nexus dev`.
export { buildProject, loadConfig, type BuildProjectOptions, type BuiltProject, type BuiltFunction } from './project.ts'
export { collectFunctions, type CollectedFunction } from './collect.ts'
export { chainSpecs, triggerSpec, validateConfig } from './validate.ts'
export { ConfigLoadError, HandlerLoadError, TriggerValidationError } from './errors.ts'
