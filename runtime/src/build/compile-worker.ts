// Entry point of the compile worker thread (compile-in-worker.ts): compiles what it is sent, one
// request at a time, and answers with the files (their buffers transferred, not copied).
import { parentPort } from 'node:worker_threads'
import { compileFiles } from './compile-files.ts'

export type CompileRequest = { id: number; component: Uint8Array; memoryPages: number }
export type CompileResponse = { id: number; files?: Record<string, Uint8Array>; refused?: string; cause?: string; error?: string }

parentPort!.on('message', async ({ id, component, memoryPages }: CompileRequest) => {
  let response: CompileResponse
  try {
    const result = await compileFiles(component, memoryPages)
    response = { id, ...result }
  } catch (err) {
    response = { id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }
  }
  const buffers = Object.values(response.files ?? {}).map((b) => b.buffer as ArrayBuffer)
  parentPort!.postMessage(response, [...new Set(buffers)])
})
