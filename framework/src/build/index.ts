// The build pipeline (Node only): `buildProject` for `nexus build` and `nexus dev`.
export {
  assertTypesCheck,
  buildProject,
  loadConfig,
  type BuildProjectOptions,
  type BuildProgress,
  type BuiltProject,
  type BuiltFunction,
} from './project.ts'
export { describeFailure, formatFailure, type BuildFailure, type SourceLocation } from './failure.ts'
export { collectFunctions, collectZkFunctions, type CollectedFunction, type CollectedZkFunction } from './collect.ts'
export { chainSpecs, triggerSpec, validateConfig } from './validate.ts'
export { ConfigLoadError, HandlerLoadError, TriggerValidationError, TypeCheckError, TypeScriptMissingError } from './errors.ts'
export { diagnosticsByFile, formatDiagnostic, releaseTypecheckProgram, typecheckProject, type TypeDiagnostic } from './typecheck.ts'
