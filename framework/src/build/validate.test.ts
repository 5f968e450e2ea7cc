// Decorator declarations → manifest trigger specs, and the build errors for everything that does
// not fit the config. Pure functions: no component is built here.
import { describe, expect, test } from 'vitest'
import { erc20Abi, pad } from 'viem'
import { defineConfig } from '../config/define.ts'
import type { Declaration, Registration } from '../decorators/registry.ts'
import { matchRoute, selectRoute } from '@nexus/protocol'
import { ConfigLoadError, TriggerValidationError } from './errors.ts'
import { chainSpecs, triggerSpec, validateConfig } from './validate.ts'

const alice = '0x70997970c51812dc3a010c7d01b50e20d17dc79c'
const config = defineConfig({
  chains: { devnet: { chainId: 31337 }, mainnet: { chainId: 1, rpcUrl: 'https://rpc.example' } },
  contracts: { Token: { chain: 'devnet', address: '0x5FbDB2315678afecb367f032d93F642f64180aa3', abi: erc20Abi } },
})
const site = { file: '/p/handlers/x.ts', line: 12, column: 3 }
const reg = (declaration: Declaration): Registration => ({ declaration, site })
const problem = (declaration: Declaration) => {
  try {
    triggerSpec(config, reg(declaration))
  } catch (err) {
    expect(err).toBeInstanceOf(TriggerValidationError)
    return (err as Error).message
  }
  throw new Error('expected a TriggerValidationError')
}

describe('event triggers', () => {
  test('unknown contract names the known ones, with file and line', () => {
    expect(problem({ kind: 'event', contract: 'Tokn', event: 'Transfer' })).toBe(
      '/p/handlers/x.ts:12:3: @onEvent: unknown contract "Tokn". Known contracts: Token',
    )
  })
  test('an indexed-argument filter becomes topics 1..3, trailing wildcards dropped', () => {
    const to = triggerSpec(config, reg({ kind: 'event', contract: 'Token', event: 'Transfer', filter: { to: alice } }))
    expect(to).toMatchObject({ kind: 'event', topics: [null, pad(alice.toLowerCase() as `0x${string}`)] })
    const from = triggerSpec(config, reg({ kind: 'event', contract: 'Token', event: 'Transfer', filter: { from: alice } }))
    expect(from).toMatchObject({ topics: [pad(alice.toLowerCase() as `0x${string}`)] })
    expect(problem({ kind: 'event', contract: 'Token', event: 'Transfer', filter: { value: 1n } })).toContain(
      'names value; only indexed arguments can be filtered (from, to)',
    )
    expect(problem({ kind: 'event', contract: 'Token', event: 'Transfer', filter: { to: '0x12' } })).toContain('does not fit')
  })
})

describe('block, route and cron triggers', () => {
  test('a block trigger must name its chain when the config has several', () => {
    expect(problem({ kind: 'block' })).toContain('Known chains: devnet, mainnet')
    expect(problem({ kind: 'block', chain: 'goerli' })).toContain('unknown chain "goerli"')
    expect(problem({ kind: 'block', chain: 'devnet', every: 0 })).toContain('positive integer')
    expect(triggerSpec(config, reg({ kind: 'block', chain: 'mainnet' }))).toEqual({ kind: 'block', chain: 'mainnet', chainId: 1, every: 1 })
  })
  test('routes', () => {
    expect(problem({ kind: 'route', method: 'FETCH', path: '/x' })).toContain('method must be')
    expect(problem({ kind: 'route', method: 'GET', path: 'x' })).toContain('starting with "/"')
    expect(problem({ kind: 'route', method: 'GET', path: '/a/:id/:id' })).toContain('twice')
    expect(matchRoute('/balance/:addr', '/balance/0xAb%20')).toEqual({ addr: '0xAb ' })
    expect(matchRoute('/balance/:addr', '/balance/')).toBeUndefined()
    expect(matchRoute('/balance/:addr', '/balances/1')).toBeUndefined()
    // The same choice as the gateway's router: literal segments first, then declaration order.
    const routes = [
      { method: 'GET', path: '/balance/:addr' },
      { method: 'GET', path: '/balance/total' },
      { method: 'POST', path: '/balance/:who' },
    ]
    expect(selectRoute(routes, 'GET', '/balance/total')?.route).toBe(routes[1])
    expect(selectRoute(routes, 'HEAD', '/balance/0x1')).toEqual({ route: routes[0], params: { addr: '0x1' } })
    expect(selectRoute(routes, 'POST', '/balance/total')).toEqual({ route: routes[2], params: { who: 'total' } })
    expect(selectRoute(routes, 'DELETE', '/balance/total')).toBeUndefined()
  })
  test('cron schedules have five valid fields', () => {
    expect(triggerSpec(config, reg({ kind: 'cron', schedule: ' */5  * * * * ' }))).toEqual({ kind: 'cron', schedule: '*/5 * * * *' })
    expect(triggerSpec(config, reg({ kind: 'cron', schedule: '0,30 9-17 * 1-12 1-5' }))).toMatchObject({ kind: 'cron' })
    expect(problem({ kind: 'cron', schedule: '* * *' })).toContain('5 fields')
    expect(problem({ kind: 'cron', schedule: '61 * * * *' })).toContain('outside 0-59')
    expect(problem({ kind: 'cron', schedule: '* * * * mon' })).toContain('not a cron field')
  })
})

describe('config', () => {
  test('defaults: finality { confirmations: 2 }, devnet RPC on 8545', () => {
    expect(chainSpecs(config)).toEqual([
      { name: 'devnet', chainId: 31337, rpcUrl: 'http://127.0.0.1:8545', finality: { confirmations: 2 } },
      { name: 'mainnet', chainId: 1, rpcUrl: 'https://rpc.example', finality: { confirmations: 2 } },
    ])
  })
  test('structural errors', () => {
    const bad = (c: unknown) => () => validateConfig(c as never, 'nexus.config.ts')
    // No chains is an HTTP-only project (below); a chain without a chainId is not.
    expect(bad({ ...config, replicas: 4, threshold: 5 })).toThrow('threshold')
    expect(bad({ ...config, limits: { fuel: 0 } })).toThrow('limits.fuel must be a positive integer')
    expect(bad({ ...config, limits: { gas: 1 } })).toThrow('unknown limit "gas"')
    expect(bad({ chains: config.chains, contracts: { T: { chain: 'x', address: alice, abi: [] } } })).toThrow(
      'unknown chain "x"; known chains: devnet, mainnet',
    )
    expect(bad({ chains: config.chains, contracts: { T: { chain: 'devnet', address: '0x12', abi: [] } } })).toThrow('not an address')
  })
})

describe('a project without chains (HTTP only)', () => {
  const httpOnly = defineConfig({ name: 'web' })
  test('validates, has no chain specs, and its routes build', () => {
    expect(() => validateConfig(httpOnly, 'nexus.config.ts')).not.toThrow()
    expect(chainSpecs(httpOnly)).toEqual([])
    expect(triggerSpec(httpOnly, reg({ kind: 'route', method: 'GET', path: '/hi' }))).toEqual({ kind: 'route', method: 'GET', path: '/hi' })
  })
  test('a block handler or a contract then says which chains there are: none', () => {
    expect(() => triggerSpec(httpOnly, reg({ kind: 'block' }))).toThrow(TriggerValidationError)
    expect(() => validateConfig(defineConfig({ contracts: { T: { chain: 'devnet', address: alice, abi: erc20Abi } } }), 'nexus.config.ts')).toThrow(
      /unknown chain "devnet"/,
    )
  })
})
