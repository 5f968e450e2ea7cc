import { dirname, relative, sep } from 'node:path'
import type { Plugin } from 'esbuild'

// keccak-256 in a guest bundle runs on the host (`nexus:function/crypto`'s keccak256): noble in the
// QuickJS interpreter cost ≈ 230,000 fuel per 136-byte block, and viem checksums every address it
// decodes with it (two per ERC-20 Transfer). Components built before the import existed keep their
// own JS keccak and still deploy: the world only grew.

const hostImport = `import { keccak256 as __nexusHostKeccak256 } from 'nexus:function/crypto@0.1.0'`

/**
 * The protocol's keccak module without its WebAssembly engine. The host module loads hash-wasm
 * with a top-level await, which a guest bundle cannot hold: async/await is lowered to generators
 * there (guestBundleOptions.supported, for async handlers) and esbuild cannot lower a top-level
 * await. Same exports, same bytes; the hashing is the host's.
 */
const protocolKeccak = `${hostImport}
export const keccakEngine = 'host'
function bytesOf(data) {
  if (typeof data !== 'string') return data
  if (!/^0x(?:[0-9a-fA-F]{2})*$/.test(data)) throw new TypeError('keccak256: not 0x-prefixed hex bytes: ' + data.slice(0, 20))
  const out = new Uint8Array((data.length - 2) / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(data.slice(2 + 2 * i, 4 + 2 * i), 16)
  return out
}
export function keccak256Bytes(data) { return __nexusHostKeccak256(bytesOf(data)) }
export function keccak256(data) {
  let hex = '0x'
  for (const b of __nexusHostKeccak256(bytesOf(data))) hex += b.toString(16).padStart(2, '0')
  return hex
}
`

/**
 * `@noble/hashes/sha3` (what viem imports) with `keccak_256` on the host. A whole message of bytes
 * goes to the host; anything else (noble 1.x hashes a string's UTF-8, 2.x refuses it) takes noble's
 * own function, which converts or refuses it exactly as before. `.create()` (incremental hashing),
 * `outputLen` and `blockLen` are noble's, and every other export of the module is untouched.
 */
const nobleSha3 = (real: string) => `${hostImport}
import { keccak_256 as __nexusJsKeccak256 } from ${JSON.stringify(real)}
export * from ${JSON.stringify(real)}
export const keccak_256 = Object.assign(
  (msg) => (msg instanceof Uint8Array ? __nexusHostKeccak256(msg) : __nexusJsKeccak256(msg)),
  __nexusJsKeccak256,
)
`

const nobleSha3Specifier = /^@noble\/hashes\/sha3(\.js)?$/
const namespace = 'nexus-host-keccak'

export const guestKeccak: Plugin = {
  name: 'nexus-guest-keccak',
  setup(b) {
    b.onLoad({ filter: /[\\/]protocol[\\/](src|dist)[\\/]hash[\\/]keccak\.(ts|js)$/ }, (args) => ({
      loader: 'js',
      resolveDir: dirname(args.path),
      contents: protocolKeccak,
    }))
    // Each importer's own copy of noble (viem pins its own) is resolved first, then wrapped; the
    // wrapper imports it by absolute path, which this filter does not match again. The wrapper is
    // named relative to the working directory, as esbuild names files: its name is in the bundle's
    // comments, and a host path there would make the code hash depend on where the project sits.
    const workingDir = b.initialOptions.absWorkingDir ?? process.cwd()
    b.onResolve({ filter: nobleSha3Specifier }, async (args) => {
      if (args.pluginData?.nexusRealSha3) return undefined
      const real = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { nexusRealSha3: true } })
      if (real.errors.length > 0) return { errors: real.errors }
      return { path: relative(workingDir, real.path).split(sep).join('/'), namespace, pluginData: { real: real.path } }
    })
    b.onLoad({ filter: /.*/, namespace }, (args) => {
      const real = (args.pluginData as { real: string }).real
      return { loader: 'js', resolveDir: dirname(real), contents: nobleSha3(real) }
    })
  },
}
