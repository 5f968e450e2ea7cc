// jco's glue runs every call of a host import through the Component Model's task machinery: a
// task and a subtask object per call, the current-task bookkeeping around it, and a debug-log
// helper that reads `process.env` several times per call. For a synchronous import whose function
// type is synchronous (every import of the nexus:function world) none of it changes what the call
// does: the trampoline lifts the arguments, calls the host, lowers the result and returns it. In
// the events bench that machinery was a quarter of the sandbox worker's CPU, more than the engine's
// own WebAssembly. So the compile step rewrites those trampolines to call the host directly, keeping
// the one check with a meaning for the guest (a component may not leave itself while it is not
// allowed to, e.g. from its `cabi_realloc`) and the trap bookkeeping on a failed call.
//
// Only shapes checked here are rewritten, each trampoline on its own: a jco whose output differs
// leaves that trampoline, or the whole glue, as jco wrote it (slower, never different), and
// runtime/test/lean-glue.test.ts fails on the pinned jco if the rewrite stops applying.

/** What `leanGlue` did: the glue, and the trampolines (their function names) that now call the host directly. */
export type LeanGlue = { source: string; direct: string[] }

/** Bump when the rewrite changes, so compiled entries made by an older rewrite are compiled again. */
export const GLUE_BUILD = 'g1'

const DEBUG_LOG = `const _debugLog = (...args) => {
    if (!globalThis?.process?.env?.JCO_DEBUG) { return; }
    console.debug(...args);
  };`
/** Read once when the glue is evaluated: a no-op costs nothing to call; `process.env` is slow to read. */
const DEBUG_LOG_ONCE = 'const _debugLog = globalThis?.process?.env?.JCO_DEBUG ? (...args) => console.debug(...args) : () => {};'

const TRAMPOLINE = /\n  const _trampoline(\d+) = function\([^)]*\) \{\n[\s\S]*?\n  _trampoline\1\.fnName = '([^']+)';/g
const TASK_SETUP =
  /\n    const hostProvided = true;\n[\s\S]*?\n    taskCreation: \{\n      parentTask = getCurrentTask\(\n      (\d+),\n[\s\S]*?\n    const started = task\.enterSync\(\);\n/
const HOST_CALL =
  /\n      (ret = |const hostRet\d+ = )?_withGlobalCurrentTaskMeta\(\{\n        componentIdx: task\.componentIdx\(\),\n        taskID: task\.id\(\),\n        fn: \(\) => _trackHostOperation\(\(\) => (.+)\),\n      \}\)\n      ;\n/
const ON_ERROR =
  /\n      _debugLog\('\[Instruction::CallInterface\] error during sync call', \{\n[^}]*\}\);\n      getOrCreateAsyncState\((\d+)\)\.markTrapped\(err\);\n      task\.setErrored\(err\);\n      task\.reject\(err\);\n      task\.exit\(\);\n      throw err;\n/
const ON_RETURN = /\n    task\.resolve\(\[[^\n]*\]\);\n    task\.exit\(\);\n/

/** The glue with every rewritable host trampoline calling the host directly (see the top of this file). */
export function leanGlue(source: string): LeanGlue {
  let out = source.includes(DEBUG_LOG) ? source.replace(DEBUG_LOG, DEBUG_LOG_ONCE) : source
  const direct: { index: string; fnName: string; statement: string }[] = []
  out = out.replace(TRAMPOLINE, (whole: string, index: string, fnName: string) => {
    const lean = leanTrampoline(whole)
    const statement = lean && syncLowering(out, index)
    if (!statement) return whole
    direct.push({ index, fnName, statement })
    return lean
  })
  // The lowering statements lie outside the trampolines just rewritten: each is found once, above.
  for (const { index, statement } of direct) out = out.replace(statement, `\n  let trampoline${index} = _trampoline${index};\n`)
  return { source: out, direct: direct.map((d) => d.fnName) }
}

/** The trampoline without its task bookkeeping, or undefined when its text is not the shape expected. */
function leanTrampoline(text: string): string | undefined {
  const setup = text.match(TASK_SETUP)
  if (!setup || !HOST_CALL.test(text) || !ON_RETURN.test(text)) return undefined
  const lean = text
    .replace(TASK_SETUP, `\n    _checkMayLeave(${setup[1]});\n`)
    .replace(HOST_CALL, '\n      $1$2;\n')
    .replace(ON_ERROR, '\n      getOrCreateAsyncState($1).markTrapped(err);\n      throw err;\n')
    .replace(ON_RETURN, '\n')
  // A function with a `result` return type catches the host's error itself (no task there).
  // Anything left that names the task would now be an unbound name: keep jco's version instead.
  return /\b(task|parentTask|subtask|started)\b/.test(lean) ? undefined : lean
}

/**
 * The statement that lowers trampoline `index` for the core modules: jco's sync lowering of a
 * synchronous function type (the `Suspending` branch is only taken for imports marked manually async).
 */
const lowering = (index: string) =>
  new RegExp(
    `\\n  let trampoline${index} = _trampoline${index}\\.manuallyAsync \\? new WebAssembly\\.Suspending\\([\\s\\S]*?\\)\\)\\) : _lowerImportBackwardsCompat\\.bind\\(\\n  null,\\n  \\{\\n    trampolineIdx: ${index},\\n(?:    [^\\n]*\\n|      [^\\n]*\\n)*?  \\},\\n  \\);\\n`,
  )

/** The statement lowering trampoline `index`, when it is jco's sync lowering of a sync import of it. */
function syncLowering(source: string, index: string): string | undefined {
  const statement = source.match(lowering(index))?.[0]
  if (!statement) return undefined
  const syncBranch = statement.slice(statement.indexOf(') : _lowerImportBackwardsCompat.bind('))
  const sync =
    syncBranch.includes('\n    isAsync: false,\n') &&
    syncBranch.includes('\n    funcTypeIsAsync: false,\n') &&
    syncBranch.includes(`\n    importFn: _trampoline${index},\n`)
  return sync ? statement : undefined
}
