import { dirname } from 'node:path'
import type { Plugin } from 'esbuild'

/**
 * Guest bundles get the protocol's keccak module without its WebAssembly engine. The host module
 * loads hash-wasm with a top-level await, which a guest bundle cannot hold: async/await is lowered
 * to generators there (guestBundleOptions.supported, for async handlers) and esbuild cannot lower a
 * top-level await. A QuickJS guest has no WebAssembly anyway, so the host module always fell back
 * to noble inside a guest; this is that fallback alone, with the same exports and the same bytes.
 */
export const guestKeccak: Plugin = {
  name: 'nexus-guest-keccak',
  setup(b) {
    b.onLoad({ filter: /[\\/]protocol[\\/](src|dist)[\\/]hash[\\/]keccak\.(ts|js)$/ }, (args) => ({
      loader: 'js',
      resolveDir: dirname(args.path),
      contents: `import { keccak_256 } from '@noble/hashes/sha3.js'
export const keccakEngine = 'noble'
function bytesOf(data) {
  if (typeof data !== 'string') return data
  if (!/^0x(?:[0-9a-fA-F]{2})*$/.test(data)) throw new TypeError('keccak256: not 0x-prefixed hex bytes: ' + data.slice(0, 20))
  const out = new Uint8Array((data.length - 2) / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(data.slice(2 + 2 * i, 4 + 2 * i), 16)
  return out
}
export function keccak256Bytes(data) { return keccak_256(bytesOf(data)) }
export function keccak256(data) {
  let hex = '0x'
  for (const b of keccak_256(bytesOf(data))) hex += b.toString(16).padStart(2, '0')
  return hex
}
`,
    }))
  },
}
