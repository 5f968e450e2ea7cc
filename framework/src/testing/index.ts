// `@nexus/framework/testing`: run a project's real functions in a test (vitest via `nexus test`),
// one in-process replica, no gateway: see runtime.ts and docs/authoring.md, "Testing".
export { createTestRuntime, type BlockInput, type TestRuntime, type TestRuntimeOptions, type TimeInput } from './runtime.ts'
export type { TestResult } from './result.ts'
export type { KvView, FilesView } from './state.ts'
export type { HttpOptions, EventOptions } from './triggers.ts'
export { AmbiguousFunctionError, NoMatchingFunctionError, TestRuntimeOptionError } from './errors.ts'
