// Entry point of the compile process (compile-in-child.ts): compiles what it is sent, one request
// at a time, and answers with the files. It ends when its parent closes the channel (idle, or gone).
import { compileFiles } from './compile-files.ts'
import { checkWorld } from './component-world.ts'

/**
 * `checkWorld`: the world's WIT, to check the component against it first (the gateway's deploy
 * check). `moduleCache`: the compile cache's folder of metered modules (metered-modules.ts).
 */
export type CompileRequest = { id: number; component: Uint8Array; memoryPages: number; checkWorld?: string; moduleCache?: string }
export type CompileResponse = { id: number; files?: Record<string, Uint8Array>; refused?: string; cause?: string; error?: string }

process.on('disconnect', () => process.exit(0))

process.on('message', async ({ id, component, memoryPages, checkWorld: witSource, moduleCache }: CompileRequest) => {
  let response: CompileResponse
  try {
    if (witSource !== undefined) await checkWorld(component, witSource)
    const result = await compileFiles(component, memoryPages, moduleCache)
    response = { id, ...result }
  } catch (err) {
    // The world check's refusals (InvalidArtifactError) are the component's fault, like a compile's.
    if (err instanceof Error && err.name === 'InvalidArtifactError')
      response = { id, refused: (err as Error & { shortMessage?: string }).shortMessage ?? err.message }
    else response = { id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }
  }
  process.send!(response)
})
