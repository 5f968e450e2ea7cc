// The host imports of the `nexus:function` world (protocol/wit/nexus.wit) as the generated guest
// entry passes them in. The framework never imports `nexus:function/*` itself, so handler files
// and this package load in Node at build time; only the entry, inside the component, does.

export type OpenFlags = { read?: boolean; write?: boolean; create?: boolean; truncate?: boolean; append?: boolean; exclusive?: boolean }

export type Host = {
  kv: {
    get(key: string): Uint8Array | undefined
    set(key: string, value: Uint8Array): void
    delete(key: string): boolean
    scan(prefix: string, startAfter: string | undefined, limit: number): [string, Uint8Array][]
  }
  fs: {
    open(path: string, mode: OpenFlags): number
    read(fd: number, len: number): Uint8Array
    write(fd: number, data: Uint8Array): number
    seek(fd: number, offset: bigint): void
    close(fd: number): void
    stat(path: string): { kind: 'file' | 'directory'; size: bigint }
    readdir(path: string): string[]
    mkdir(path: string): void
    unlink(path: string): void
    rename(src: string, dst: string): void
  }
  log: { write(level: 'debug' | 'info' | 'warn' | 'error', message: string): void }
  env: {
    now(): bigint
    randomBytes(len: number): Uint8Array
    invocation(): { functionId: string; seq: bigint; trigger: string; chainId: bigint; blockNumber: bigint }
  }
  chain: {
    call(to: string, data: string): string
    getBalance(address: string): string
    getLogs(filterJson: string): string
  }
}
